package swarm

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Unix(1_000_000, 0)

// fakePeer is a peer as the choker sees it, named for the tests; tried
// ones were unchoked once, a minute before t0.
type fakePeer struct {
	name string
	chokePeer
}

func tried(name string, down, up float64) *fakePeer {
	return &fakePeer{name, chokePeer{interested: true, unchokedAt: t0.Add(-time.Minute), down: down, up: up}}
}

// decideNames runs decide over peers (ids given in order from 1), applies
// the answer to their unchoked and unchokedAt as the torrent does, and
// names the unchoked, in input order.
func decideNames(c *choker, now time.Time, seeding bool, sent int64, peers []*fakePeer) []string {
	in := make([]chokePeer, len(peers))
	for i, p := range peers {
		p.id = i + 1
		in[i] = p.chokePeer
	}
	var out []string
	for i, u := range c.decide(now, seeding, sent, in) {
		p := peers[i]
		if u && !p.unchoked {
			p.unchokedAt = now
		}
		p.unchoked = u
		if u {
			out = append(out, p.name)
		}
	}
	return out
}

func first(int) int { return 0 }

func TestChoker_Rules(t *testing.T) {
	for _, tt := range []struct {
		name    string
		slots   int
		seeding bool
		peers   []*fakePeer
		want    []string // with pick always taking the first candidate
	}{
		{"tit-for-tat: fastest senders, plus one optimistic", 3, false, []*fakePeer{
			tried("slow", 10, 900), tried("fast", 900, 0), tried("mid", 500, 0), tried("low", 100, 0),
		}, []string{"fast", "mid", "low"}},
		{"not interested: choked whatever its rate", 3, false, []*fakePeer{
			{"idle", chokePeer{down: 1000}}, tried("a", 1, 0),
		}, []string{"a"}},
		{"seeding: ranked by what we send them", 2, true, []*fakePeer{
			tried("gives", 1000, 1), tried("takes", 0, 800), tried("other", 0, 5),
		}, []string{"takes", "other"}}, // the optimistic slot: the first of the rest
		{"anti-snubbing: a snubbing peer earns no regular slot", 3, false, []*fakePeer{
			{"snub", chokePeer{interested: true, unchokedAt: t0.Add(-time.Minute), down: 5000, snubbed: true}},
			tried("a", 20, 0), tried("b", 10, 0), tried("c", 5, 0),
		}, []string{"a", "b", "c"}},
		{"anti-snubbing: only the optimistic slot is left for it", 3, false, []*fakePeer{
			{"snub", chokePeer{interested: true, unchokedAt: t0.Add(-time.Minute), down: 5000, snubbed: true}},
			tried("a", 20, 0),
		}, []string{"snub", "a"}},
		{"seeding: snubbing us does not matter", 2, true, []*fakePeer{
			{"snub", chokePeer{interested: true, unchokedAt: t0.Add(-time.Minute), up: 5000, snubbed: true}},
			tried("a", 0, 20), tried("b", 0, 10),
		}, []string{"snub", "a"}},
		{"one slot: one regular, one optimistic", 1, false, []*fakePeer{
			tried("a", 20, 0), tried("b", 10, 0), tried("c", 5, 0),
		}, []string{"a", "b"}},
		{"equal rates: the longest waiting first", 2, true, []*fakePeer{
			{"recent", chokePeer{interested: true, unchokedAt: t0.Add(-time.Second)}},
			{"long ago", chokePeer{interested: true, unchokedAt: t0.Add(-time.Hour)}},
			{"waited most", chokePeer{interested: true, unchokedAt: t0.Add(-2 * time.Hour)}},
		}, []string{"waited most", "long ago"}},
		{"a newcomer gets the trial slot beside the full ones", 2, true, []*fakePeer{
			tried("a", 0, 20), tried("b", 0, 10), tried("c", 0, 5),
			{"new", chokePeer{interested: true, interestedAt: t0}},
		}, []string{"a", "b", "new"}},
	} {
		c := newChoker(tt.slots, first)
		if got := decideNames(&c, t0, tt.seeding, 0, tt.peers); !equalSet(got, tt.want) {
			t.Errorf("%s: unchoked %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChoker_OptimisticRotatesEvery30s(t *testing.T) {
	peers := []*fakePeer{tried("top", 100, 0), tried("x", 0, 0), tried("y", 0, 0), tried("z", 0, 0)}
	c := newChoker(2, first)
	c.most = 2 // no probing for more slots here
	for _, step := range []struct {
		after time.Duration
		want  []string
	}{
		{0, []string{"top", "x"}},
		{10 * time.Second, []string{"top", "x"}}, // kept between rankings
		{20 * time.Second, []string{"top", "x"}},
		{30 * time.Second, []string{"top", "y"}}, // moves on, never to the last holder
		{50 * time.Second, []string{"top", "y"}},
		{60 * time.Second, []string{"top", "z"}}, // the longest waiting first
	} {
		if got := decideNames(&c, t0.Add(step.after), false, 0, peers); !equalSet(got, step.want) {
			t.Errorf("at +%v: unchoked %v, want %v", step.after, got, step.want)
		}
	}
	// The holder loses interest: the slot goes to another at the next ranking.
	peers[3].interested = false
	if got := decideNames(&c, t0.Add(62*time.Second), false, 0, peers); !equalSet(got, []string{"top"}) {
		t.Errorf("right after the holder lost interest: unchoked %v, want [top]", got)
	}
	if got := decideNames(&c, t0.Add(70*time.Second), false, 0, peers); !equalSet(got, []string{"top", "x"}) {
		t.Errorf("at the next ranking: unchoked %v, want [top x]", got)
	}
	// A sender that outruns top takes the regular slot; top competes for
	// the optimistic one, which x keeps until its 30 s are up.
	peers = append(peers, tried("faster", 1000, 0))
	if got := decideNames(&c, t0.Add(80*time.Second), false, 0, peers); !equalSet(got, []string{"faster", "x"}) {
		t.Errorf("after a faster sender: unchoked %v, want [faster x]", got)
	}
}

// A fast newcomer behind slow incumbents that hold every slot: its trial
// starts at the next tick, and once its rate shows it keeps a slot, the
// slowest incumbent losing its own.
func TestChoker_FastNewcomerTakesASlot(t *testing.T) {
	peers := []*fakePeer{tried("a", 0, 30e3), tried("b", 0, 25e3), tried("c", 0, 20e3)}
	c := newChoker(2, first)
	if got := decideNames(&c, t0, true, 0, peers); !equalSet(got, []string{"a", "b"}) {
		t.Fatalf("incumbents: unchoked %v, want [a b] (b optimistic)", got)
	}
	fast := &fakePeer{"fast", chokePeer{interested: true, interestedAt: t0.Add(3 * time.Second)}}
	peers = append(peers, fast)
	if got := decideNames(&c, t0.Add(4*time.Second), true, 0, peers); !equalSet(got, []string{"a", "b", "fast"}) {
		t.Fatalf("the tick after it said interested: unchoked %v, want [a b fast]", got)
	}
	fast.up = 50e6 // its trial shows what it takes
	if got := decideNames(&c, t0.Add(6*time.Second), true, 0, peers); !equalSet(got, []string{"a", "b", "fast"}) {
		t.Errorf("during its trial: unchoked %v, want [a b fast]", got)
	}
	// The trial is over: it outran a, the regular holder, and takes its
	// slot; b keeps the optimistic one.
	if got := decideNames(&c, t0.Add(8*time.Second), true, 0, peers); !equalSet(got, []string{"fast", "b"}) {
		t.Errorf("after its trial: unchoked %v, want [fast b]", got)
	}
	peers[0].up = 0 // choked, a's rate falls
	for _, at := range []time.Duration{10, 20, 30, 40, 50} {
		if got := decideNames(&c, t0.Add(at*time.Second), true, 0, peers); !slices.Contains(got, "fast") {
			t.Errorf("at +%vs: unchoked %v, want fast kept among them", at, got)
		}
	}
}

// A newcomer slower than every holder goes back to the choked after its
// trial; the holders keep their slots.
func TestChoker_SlowNewcomerLosesItsTrial(t *testing.T) {
	peers := []*fakePeer{tried("a", 0, 300e3), tried("b", 0, 200e3), tried("c", 0, 250e3)}
	c := newChoker(3, first)
	decideNames(&c, t0, true, 0, peers)
	slow := &fakePeer{"slow", chokePeer{interested: true, interestedAt: t0.Add(time.Second), up: 5e3}}
	peers = append(peers, slow)
	if got := decideNames(&c, t0.Add(2*time.Second), true, 0, peers); !equalSet(got, []string{"a", "b", "c", "slow"}) {
		t.Errorf("its trial: unchoked %v, want [a b c slow]", got)
	}
	if got := decideNames(&c, t0.Add(6*time.Second), true, 0, peers); !equalSet(got, []string{"a", "b", "c"}) {
		t.Errorf("after its trial: unchoked %v, want [a b c]", got)
	}
}

// Untried peers take the trial slot newest first, one at a time.
func TestChoker_TrialsNewestFirst(t *testing.T) {
	peers := []*fakePeer{tried("a", 0, 100), tried("b", 0, 90)}
	for i, name := range []string{"n1", "n2", "n3"} {
		peers = append(peers, &fakePeer{name, chokePeer{interested: true, interestedAt: t0.Add(time.Duration(i) * time.Second)}})
	}
	c := newChoker(2, first)
	c.optimistic, c.optimisticAt = 2, t0 // b holds the optimistic slot: no draw here
	c.rankedAt = t0.Add(-time.Second)
	for _, step := range []struct {
		at   time.Duration
		want string
	}{{4, "n3"}, {8, "n2"}, {12, "n1"}} {
		got := decideNames(&c, t0.Add(step.at*time.Second), true, 0, peers)
		var trial []string
		for _, n := range got {
			if n != "a" && n != "b" {
				trial = append(trial, n)
			}
		}
		if !slices.Equal(trial, []string{step.want}) {
			t.Errorf("at +%vs: on trial %v, want [%s]", step.at, trial, step.want)
		}
	}
}

// Seeding anti-snubbing: a peer that held a slot for a round and took
// nothing gives it to one that waits.
func TestChoker_SeedingIdleHolderLosesItsSlot(t *testing.T) {
	peers := []*fakePeer{tried("busy", 0, 100e3), tried("idle", 0, 0), tried("waiting", 0, 0)}
	peers[1].unchoked, peers[1].unchokedAt = true, t0.Add(-20*time.Second)
	peers[2].unchokedAt = t0.Add(-time.Second) // would lose to idle on the tie-break
	c := newChoker(3, first)
	if got := decideNames(&c, t0, true, 0, peers); !equalSet(got, []string{"busy", "waiting", "idle"}) {
		t.Errorf("unchoked %v, want busy and waiting regular, idle only as the optimistic", got)
	}
	if c.optimistic != 2 {
		t.Errorf("the optimistic slot went to peer %d, want idle (2): it ranks last", c.optimistic)
	}
}

// ... but with nobody waiting it keeps its slot: a pause of its own is no
// reason to drop its queued requests.
func TestChoker_SeedingIdleHolderKeepsAFreeSlot(t *testing.T) {
	peers := []*fakePeer{tried("busy", 0, 100e3), tried("idle", 0, 0), tried("opt", 0, 0)}
	peers[1].unchoked, peers[1].unchokedAt = true, t0.Add(-20*time.Second)
	peers[2].unchoked, peers[2].unchokedAt = true, t0.Add(-5*time.Second)
	c := newChoker(4, first)
	c.optimistic, c.optimisticAt = 3, t0.Add(-5*time.Second)
	if got := decideNames(&c, t0, true, 0, peers); !equalSet(got, []string{"busy", "idle", "opt"}) {
		t.Errorf("unchoked %v, want all three: a free slot is the idle holder's", got)
	}
}

func TestChoker_Admits(t *testing.T) {
	c := newChoker(4, first)
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

// A slot its holder leaves between rankings goes to the best waiting peer
// at the next tick, not 10 s later.
func TestChoker_FreeSlotFilledBetweenRankings(t *testing.T) {
	peers := []*fakePeer{tried("a", 0, 300e3), tried("b", 0, 200e3), tried("c", 0, 100e3), tried("d", 0, 0)}
	c := newChoker(3, first)
	c.most = 3
	if got := decideNames(&c, t0, true, 0, peers); !equalSet(got, []string{"a", "b", "c"}) {
		t.Fatalf("first: unchoked %v, want [a b c] (c optimistic)", got)
	}
	peers[1].interested = false
	if got := decideNames(&c, t0.Add(2*time.Second), true, 0, peers); !equalSet(got, []string{"a", "c", "d"}) {
		t.Errorf("after b lost interest: unchoked %v, want [a c d]", got)
	}
}

// With every slot held, a newcomer that says Interested takes a free
// trial slot at once (trialNow), not at the next decision; a second one
// waits for it, and cuts it short once it has run trialMin, being newer.
func TestChoker_TrialAtOnce(t *testing.T) {
	peers := []*fakePeer{tried("a", 0, 300e3), tried("b", 0, 200e3)}
	c := newChoker(2, first)
	decideNames(&c, t0, true, 0, peers)
	n1 := &fakePeer{"n1", chokePeer{interested: true, interestedAt: t0.Add(time.Second)}}
	n2 := &fakePeer{"n2", chokePeer{interested: true, interestedAt: t0.Add(1500 * time.Millisecond)}}
	peers = append(peers, n1, n2) // ids 3 and 4
	if !c.trialNow(n1.interestedAt, 3) {
		t.Fatal("trialNow refused the free trial slot")
	}
	n1.unchoked, n1.unchokedAt = true, n1.interestedAt
	if c.trialNow(n2.interestedAt, 4) {
		t.Fatal("trialNow gave a second peer the trial slot n1 holds")
	}
	if got := decideNames(&c, t0.Add(1800*time.Millisecond), true, 0, peers); !equalSet(got, []string{"a", "b", "n1"}) {
		t.Errorf("0.8 s into n1's trial: unchoked %v, want [a b n1]: a trial lasts trialMin at least", got)
	}
	if got := decideNames(&c, t0.Add(2200*time.Millisecond), true, 0, peers); !equalSet(got, []string{"a", "b", "n2"}) {
		t.Errorf("1.2 s into n1's trial: unchoked %v, want [a b n2]: n2 came later and takes the slot", got)
	}
	if got := decideNames(&c, t0.Add(5*time.Second), true, 0, peers); !equalSet(got, []string{"a", "b", "n2"}) {
		t.Errorf("2.8 s into n2's trial: unchoked %v, want [a b n2]: nobody newer waits", got)
	}
	c.super = &superSeed{}
	c.trial = 0
	if c.trialNow(t0.Add(6*time.Second), 5) {
		t.Error("trialNow started a trial while super-seeding, whose offers decide the unchokes")
	}
}
