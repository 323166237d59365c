package swarm

import (
	"cmp"
	"slices"
	"time"
)

// Choking (BEP 3 tit-for-tat), decided by choker, a pure policy with no
// goroutines or I/O; the torrent's goroutine calls it every 10 s and
// applies the answer (choke.go). The interested peers are ranked: while
// leeching by how fast they send to us, while seeding by how fast we send
// to them (the slots go to whoever can take the data). Slots-1 best are
// unchoked, plus one optimistic unchoke that moves to another peer every
// 30 s, so newcomers get a chance to prove themselves. Anti-snubbing: while
// leeching, a peer that unchoked us but sends nothing we ask for earns no
// regular slot (only the optimistic one), whatever its past rate.

const optimisticEvery = 30 * time.Second

// chokee is what the choker knows of a peer.
type chokee interface {
	Interested() bool // it wants our data
	DownBps() float64 // it sends us
	UpBps() float64   // we send it
	Snubbed() bool    // it unchoked us, yet sent nothing we asked for in a while
}

// choker decides which peers to unchoke. Its state is the optimistic
// unchoke and since when it holds the slot.
type choker struct {
	slots        int             // unchoked peers at most, the optimistic one among them
	pick         func(n int) int // a random index below n
	optimistic   chokee
	optimisticAt time.Time
}

// decide returns, per peer, whether to unchoke it; every other peer is
// choked.
func (c *choker) decide(now time.Time, seeding bool, peers []chokee) []bool {
	unchoke := make([]bool, len(peers))
	var cands []int
	keep := -1
	for i, p := range peers {
		switch {
		case !p.Interested():
		case p == c.optimistic && now.Sub(c.optimisticAt) < optimisticEvery:
			keep = i
		default:
			cands = append(cands, i)
		}
	}
	rate := func(i int) float64 {
		if seeding {
			return peers[i].UpBps()
		}
		return peers[i].DownBps()
	}
	snubbed := func(i int) bool { return !seeding && peers[i].Snubbed() }
	slices.SortStableFunc(cands, func(a, b int) int {
		if sa, sb := snubbed(a), snubbed(b); sa != sb {
			if sa {
				return 1
			}
			return -1
		}
		return cmp.Compare(rate(b), rate(a))
	})
	regular := max(c.slots-1, 1)
	var rest []int
	for k, i := range cands {
		if k < regular && !snubbed(i) {
			unchoke[i] = true
		} else {
			rest = append(rest, i)
		}
	}
	if keep >= 0 {
		unchoke[keep] = true
		return unchoke
	}
	// The slot moves on: the last holder draws only when it is alone.
	draw := rest
	if len(rest) > 1 && c.optimistic != nil {
		draw = slices.DeleteFunc(slices.Clone(rest), func(i int) bool { return peers[i] == c.optimistic })
	}
	c.optimistic = nil
	if len(draw) > 0 {
		i := draw[c.pick(len(draw))]
		unchoke[i] = true
		c.optimistic, c.optimisticAt = peers[i], now
	}
	return unchoke
}

// admits says whether a newly interested peer may be unchoked at once,
// between rechokes: a free slot is better used now than in 10 s.
func (c *choker) admits(unchoked int) bool { return unchoked < c.slots }
