package swarm

import "time"

// The trial slot (see choker.go's comment on newcomers): a peer never
// unchoked on this connection has no rate to be ranked by, so one such
// peer at a time is unchoked for trialFor to earn one.

// startTrial gives a free trial slot to the newest interested peer never
// unchoked on this connection.
func (c *choker) startTrial(now time.Time, peers []chokePeer, unchoke []bool, ended int) {
	if c.trial != 0 {
		return
	}
	best := -1
	for i, p := range peers {
		if untried(p) && !unchoke[i] && i != ended &&
			(best < 0 || p.interestedAt.After(peers[best].interestedAt)) {
			best = i
		}
	}
	if best >= 0 {
		unchoke[best] = true
		c.trial, c.trialAt = peers[best].id, now
	}
}

// trialNow starts the trial slot for a peer that just said Interested and
// was never unchoked on this connection, if the slot is free, rather than
// at the next decision: up to chokeTick (2 s) sooner. It says whether it
// did; decide holds the trial for trialFor from now as any other.
func (c *choker) trialNow(now time.Time, id int) bool {
	if c.trial != 0 || c.super != nil {
		return false
	}
	c.trial, c.trialAt = id, now
	return true
}

// newerUntried reports whether an interested peer never unchoked on this
// connection became interested after since: a trial held for trialMin
// then ends at the next decision, judged as one that ran its course. With
// 49 slow peers waiting for trials 4 s each, a fast one that came later
// waited up to 6 s for the running one (2.7-4.9 s in bench/manypeers);
// each trial still lasts trialMin, and the peers waiting before the
// holder do not cut it short.
func newerUntried(peers []chokePeer, since time.Time) bool {
	for _, p := range peers {
		if untried(p) && p.interestedAt.After(since) {
			return true
		}
	}
	return false
}

// untried: p wants our data and was never unchoked on this connection,
// so it has no rate to be ranked by; the trial slot is for it.
func untried(p chokePeer) bool { return p.interested && p.unchokedAt.IsZero() && !p.unchoked }
