package swarm

import (
	"cmp"
	"slices"
	"time"
)

// Choking (BEP 3 tit-for-tat), decided by choker, a pure policy with no
// goroutines or I/O: the torrent's goroutine calls decide every chokeTick
// and applies the answer (choke.go).
//
// Regular slots: every rankEvery the interested peers are ranked, while
// leeching by how fast they send to us, while seeding by how fast we send
// to them (the slots go to whoever takes the data fastest), and the best
// slots-1 are unchoked. Anti-snubbing: while leeching, a peer that
// unchoked us yet sends nothing earns no regular slot; while seeding, one
// that held a slot for a round and took nothing yields it to any that
// waits.
//
// The number of slots follows the total upload, as libtorrent's rate-based
// choker and uTorrent's automatic slots do, but measured on the total
// rather than per peer: each round that every slot is in use and peers
// wait, one more slot is opened; if the round's total upload rose by the
// new slot's share, another is opened the next round, and if it did not
// (the uplink is full), the slot is closed again and none is tried for
// probeHold rounds. The configured slots are the least.
//
// Newcomers: a peer never unchoked on this connection has no rate to be
// ranked by, so ranking alone starved a fast newcomer behind slow
// incumbents until the optimistic slot happened to land on it. An extra
// trial slot unchokes the newest interested untried peer for trialFor
// (latest first: under a backlog of untried peers, first-come would make
// every later one wait for the whole backlog; the optimistic slot still
// reaches the older ones); when the trial ends, the peer keeps a slot if
// it outran the weakest regular holder, which then loses its slot. The
// optimistic slot moves every optimisticEvery to a random choked peer,
// untried peers weighing three times as much (as in mainline and
// Transmission).

const (
	chokeTick       = 2 * time.Second  // how often the loop asks the choker
	rankEvery       = 10 * time.Second // the regular slots are ranked again
	optimisticEvery = 30 * time.Second // the optimistic slot moves on
	trialFor        = 4 * time.Second  // a newcomer's trial: long enough for its rate to show
	trialMin        = time.Second      // a trial a newer newcomer may cut short, at the least
	maxUploadSlots  = 64               // the most slots rate probing opens
	probeHold       = 3                // rounds without probing after a slot that did not pay
	probeMinGain    = 16 << 10         // bytes/s a probed slot must add at least
	promoteBy       = 1.2              // a trial peer must outrun the weakest regular holder by this
)

// chokePeer is what the choker knows of a peer at one decision.
type chokePeer struct {
	id           int       // stable while the peer is connected
	interested   bool      // it wants our data
	interestedAt time.Time // when it last became interested
	unchoked     bool      // we unchoke it now
	unchokedAt   time.Time // when we last unchoked it; zero: never on this connection
	down, up     float64   // bytes/s it sends us, we send it
	snubbed      bool      // it unchoked us, yet sent nothing we asked for in a while
}

// choker decides which peers to unchoke. Its state: the slot count and
// its probing, when it last ranked, and who holds the optimistic and the
// trial slot since when (by peer id; 0 is no peer).
type choker struct {
	floor int             // the configured slots: the least
	most  int             // the most slots probing opens
	slots int             // unchoked peers at most, the optimistic one among them, the trial one not
	pick  func(n int) int // a random index below n

	super *superSeed // BEP 16 offers, while super-seeding (superseed.go); nil otherwise

	rankedAt              time.Time
	optimistic, trial     int
	optimisticAt, trialAt time.Time
	lastOptimistic        int // the last holder, which draws only when alone
	sentAt                time.Time
	sent                  int64   // the torrent's bytes sent at the last ranking
	base                  float64 // the round's upload rate before the probed slot opened
	probing               bool
	hold                  int
}

func newChoker(slots int, pick func(n int) int) choker {
	return choker{floor: slots, most: max(slots, maxUploadSlots), slots: slots, pick: pick}
}

// decide returns, per peer, whether to unchoke it; sent is the torrent's
// bytes sent so far.
func (c *choker) decide(now time.Time, seeding bool, sent int64, peers []chokePeer) []bool {
	rate := func(i int) float64 {
		if seeding {
			return peers[i].up
		}
		return peers[i].down
	}
	unchoke := make([]bool, len(peers))
	trial, opt, ended := -1, -1, -1
	for i, p := range peers {
		if !p.interested {
			continue
		}
		switch p.id {
		case c.trial:
			trial = i
		case c.optimistic:
			opt = i
		}
	}
	c.trial, c.optimistic = 0, 0 // set again below while their holders stay
	if trial >= 0 && (now.Sub(c.trialAt) >= trialFor ||
		now.Sub(c.trialAt) >= trialMin && newerUntried(peers, peers[trial].interestedAt)) {
		ended, trial = trial, -1
	}
	ranking := c.rankedAt.IsZero() || now.Sub(c.rankedAt) >= rankEvery
	if ranking && opt >= 0 && now.Sub(c.optimisticAt) >= optimisticEvery {
		c.lastOptimistic, opt = peers[opt].id, -1
	}
	if trial >= 0 {
		unchoke[trial] = true
		c.trial = peers[trial].id
	}
	if opt >= 0 {
		unchoke[opt] = true
		c.optimistic = peers[opt].id
	}
	if ranking {
		c.rankedAt = now
		c.adapt(now, sent, peers)
		c.rank(now, seeding, peers, rate, unchoke, trial, opt)
	} else {
		c.keep(now, seeding, peers, rate, unchoke, trial, opt, ended)
	}
	c.startTrial(now, peers, unchoke, ended)
	return unchoke
}

// keep holds the regular slots between rankings; a trial that ended takes
// a free slot or the weakest holder's, if it outran it, and slots left
// free (a holder lost interest) go to the best waiting now, not at the
// next ranking.
func (c *choker) keep(now time.Time, seeding bool, peers []chokePeer, rate func(int) float64, unchoke []bool, trial, opt, ended int) {
	regular, weakest := 0, -1
	var waiting []int
	for i, p := range peers {
		switch {
		case !p.interested || i == trial || i == opt || i == ended:
		case p.unchoked:
			unchoke[i] = true
			regular++
			if weakest < 0 || rate(i) < rate(weakest) {
				weakest = i
			}
		default:
			waiting = append(waiting, i)
		}
	}
	slots := max(c.slots-1, 1)
	if ended >= 0 {
		switch {
		case regular < slots:
			unchoke[ended] = true
			regular++
		case weakest >= 0 && rate(ended) > promoteBy*rate(weakest):
			unchoke[ended], unchoke[weakest] = true, false
		}
	}
	if regular >= slots || len(waiting) == 0 {
		return
	}
	c.order(now, seeding, peers, rate, waiting)
	for _, i := range waiting[:min(slots-regular, len(waiting))] {
		unchoke[i] = true
	}
}

// demoted: anti-snubbing (see the package comment above).
func demoted(now time.Time, seeding bool, p chokePeer) bool {
	if seeding {
		return p.unchoked && p.up == 0 && now.Sub(p.unchokedAt) >= rankEvery
	}
	return p.snubbed
}

// order sorts peer indexes best first: not demoted, by rate, holders
// before equals that wait, then the longest waiting.
func (c *choker) order(now time.Time, seeding bool, peers []chokePeer, rate func(int) float64, is []int) {
	slices.SortStableFunc(is, func(a, b int) int {
		if da, db := demoted(now, seeding, peers[a]), demoted(now, seeding, peers[b]); da != db {
			if da {
				return 1
			}
			return -1
		}
		if r := cmp.Compare(rate(b), rate(a)); r != 0 {
			return r
		}
		if ua, ub := peers[a].unchoked, peers[b].unchoked; ua != ub {
			if ua {
				return -1 // a holder keeps its slot against an equal
			}
			return 1
		}
		return peers[a].unchokedAt.Compare(peers[b].unchokedAt)
	})
}

// rank gives the regular slots to the best-ranked interested peers and
// the optimistic slot, if free, to a random other.
func (c *choker) rank(now time.Time, seeding bool, peers []chokePeer, rate func(int) float64, unchoke []bool, trial, opt int) {
	var cands []int
	for i, p := range peers {
		if p.interested && i != trial && i != opt {
			cands = append(cands, i)
		}
	}
	c.order(now, seeding, peers, rate, cands)
	regular := max(c.slots-1, 1)
	var rest []int
	for k, i := range cands {
		// A seed's idle holder only yields to peers that wait (it sorts
		// last); choked beside free slots, it lost its queued requests
		// whenever its own disk or link paused for a second.
		if k < regular && (seeding || !demoted(now, seeding, peers[i])) {
			unchoke[i] = true
		} else {
			rest = append(rest, i)
		}
	}
	if opt >= 0 || len(rest) == 0 {
		return
	}
	// Untried peers three times in the draw; the last holder only when alone.
	var draw []int
	for _, i := range rest {
		if peers[i].id == c.lastOptimistic && len(rest) > 1 {
			continue
		}
		draw = append(draw, i)
		if peers[i].unchokedAt.IsZero() {
			draw = append(draw, i, i)
		}
	}
	i := draw[c.pick(len(draw))]
	unchoke[i] = true
	c.optimistic, c.optimisticAt = peers[i].id, now
}

// adapt moves the slot count by the round's total upload (see the
// package comment above).
func (c *choker) adapt(now time.Time, sent int64, peers []chokePeer) {
	demand := 0
	for _, p := range peers {
		if p.interested {
			demand++
		}
	}
	if c.sentAt.IsZero() || !now.After(c.sentAt) {
		c.sentAt, c.sent = now, sent // the first round: no rate to compare yet
		return
	}
	r := float64(sent-c.sent) / now.Sub(c.sentAt).Seconds()
	c.sentAt, c.sent = now, sent
	open := demand > c.slots && c.slots < c.most
	switch {
	case c.probing:
		c.probing = false
		if r < c.base+max(probeMinGain, 0.5*c.base/float64(max(c.slots-1, 1))) {
			c.slots, c.hold = max(c.slots-1, c.floor), probeHold
		} else if open {
			c.slots, c.base, c.probing = c.slots+1, r, true
		}
	case c.hold > 0:
		c.hold--
	case open:
		c.slots, c.base, c.probing = c.slots+1, r, true
	}
	// Slots nobody wants teach nothing: fewer peers, fewer slots.
	if demand < c.slots {
		c.slots, c.probing = max(c.floor, demand), false
	}
}

// admits says whether a newly interested peer may be unchoked at once,
// between decisions: a free slot is better used now than at the next.
func (c *choker) admits(unchoked int) bool { return unchoked < c.slots }
