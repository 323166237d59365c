package swarm

import (
	"testing"
	"time"
)

type fakeChokee struct {
	name       string
	interested bool
	down, up   float64
	snubbed    bool
}

func (p *fakeChokee) Interested() bool { return p.interested }
func (p *fakeChokee) DownBps() float64 { return p.down }
func (p *fakeChokee) UpBps() float64   { return p.up }
func (p *fakeChokee) Snubbed() bool    { return p.snubbed }

// unchoked names the peers decide unchokes, in input order.
func unchoked(c *choker, now time.Time, seeding bool, peers []*fakeChokee) []string {
	in := make([]chokee, len(peers))
	for i, p := range peers {
		in[i] = p
	}
	var out []string
	for i, u := range c.decide(now, seeding, in) {
		if u {
			out = append(out, peers[i].name)
		}
	}
	return out
}

func first(int) int { return 0 }

func TestChoker_Rules(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	for _, tt := range []struct {
		name    string
		slots   int
		seeding bool
		peers   []*fakeChokee
		want    []string // with pick always taking the first candidate
	}{
		{"tit-for-tat: fastest senders, plus one optimistic", 3, false, []*fakeChokee{
			{name: "slow", interested: true, down: 10, up: 900},
			{name: "fast", interested: true, down: 900},
			{name: "mid", interested: true, down: 500},
			{name: "low", interested: true, down: 100},
		}, []string{"fast", "mid", "low"}},
		{"not interested: choked whatever its rate", 3, false, []*fakeChokee{
			{name: "idle", down: 1000},
			{name: "a", interested: true, down: 1},
		}, []string{"a"}},
		{"seeding: ranked by what we send them", 2, true, []*fakeChokee{
			{name: "gives", interested: true, down: 1000, up: 1},
			{name: "takes", interested: true, down: 0, up: 800},
			{name: "other", interested: true, down: 0, up: 5},
		}, []string{"takes", "other"}}, // the optimistic slot goes to the next best here
		{"anti-snubbing: a snubbing peer earns no regular slot", 3, false, []*fakeChokee{
			{name: "snub", interested: true, down: 5000, snubbed: true},
			{name: "a", interested: true, down: 20},
			{name: "b", interested: true, down: 10},
			{name: "c", interested: true, down: 5},
		}, []string{"a", "b", "c"}},
		{"anti-snubbing: only the optimistic slot is left for it", 3, false, []*fakeChokee{
			{name: "snub", interested: true, down: 5000, snubbed: true},
			{name: "a", interested: true, down: 20},
		}, []string{"snub", "a"}},
		{"seeding: snubbing does not matter", 2, true, []*fakeChokee{
			{name: "snub", interested: true, up: 5000, snubbed: true},
			{name: "a", interested: true, up: 20},
			{name: "b", interested: true, up: 10},
		}, []string{"snub", "a"}},
		{"one slot: one regular, one optimistic", 1, false, []*fakeChokee{
			{name: "a", interested: true, down: 20},
			{name: "b", interested: true, down: 10},
			{name: "c", interested: true, down: 5},
		}, []string{"a", "b"}},
	} {
		c := &choker{slots: tt.slots, pick: first}
		got := unchoked(c, t0, tt.seeding, tt.peers)
		if !equalSet(got, tt.want) {
			t.Errorf("%s: unchoked %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChoker_OptimisticRotatesEvery30s(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	peers := []*fakeChokee{
		{name: "top", interested: true, down: 100},
		{name: "x", interested: true},
		{name: "y", interested: true},
		{name: "z", interested: true},
	}
	c := &choker{slots: 2, pick: first}
	for _, step := range []struct {
		after time.Duration
		want  []string
	}{
		{0, []string{"top", "x"}},
		{10 * time.Second, []string{"top", "x"}}, // kept between rechokes
		{20 * time.Second, []string{"top", "x"}},
		{30 * time.Second, []string{"top", "y"}}, // moves on, never to the last holder
		{50 * time.Second, []string{"top", "y"}},
		{60 * time.Second, []string{"top", "x"}},
	} {
		if got := unchoked(c, t0.Add(step.after), false, peers); !equalSet(got, step.want) {
			t.Errorf("at +%v: unchoked %v, want %v", step.after, got, step.want)
		}
	}
	// The holder loses interest: the slot goes at once to another.
	peers[1].interested = false
	if got := unchoked(c, t0.Add(61*time.Second), false, peers); !equalSet(got, []string{"top", "y"}) {
		t.Errorf("after the holder lost interest: unchoked %v, want [top y]", got)
	}
	// A newcomer that outruns top takes the regular slot; top competes
	// for the optimistic one, which y keeps until its 30 s are up.
	peers = append(peers, &fakeChokee{name: "new", interested: true, down: 1000})
	if got := unchoked(c, t0.Add(70*time.Second), false, peers); !equalSet(got, []string{"new", "y"}) {
		t.Errorf("after a faster newcomer: unchoked %v, want [new y]", got)
	}
}

func TestChoker_Admits(t *testing.T) {
	c := &choker{slots: 4}
	if !c.admits(3) || c.admits(4) {
		t.Errorf("admits(3) = %v, admits(4) = %v with 4 slots", c.admits(3), c.admits(4))
	}
}

func equalSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]int{}
	for _, s := range a {
		in[s]++
	}
	for _, s := range b {
		if in[s]--; in[s] < 0 {
			return false
		}
	}
	return true
}
