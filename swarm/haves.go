package swarm

import (
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// haveDelay is how long a Have may wait for company. In a swarm of
// leechers each verified piece is a Have to every peer, one write and one
// wake-up at each end; with 50 leechers that was most of the syscalls of
// the swarm's exchange. A Have also leaves at once with anything else sent
// to its peer (a request, a block), so only idle connections wait.
const haveDelay = 50 * time.Millisecond

// haveBatch holds the Haves queued but not yet flushed. The torrent's
// goroutine owns it, in the content: only pieces verified make Haves.
type haveBatch struct {
	timer *time.Timer // nil until the first Have; stopped when none wait
	due   bool
}

// announceHave queues a Have of piece i for every peer that lacks
// something, to be written within haveDelay.
func (t *torrent) announceHave(c *content, i int) {
	numPieces := c.info.NumPieces()
	for _, p := range t.peers {
		if p.hasAll || p.haveCount == numPieces {
			// A seed has no use for it, and with 1,000 seeds connected
			// a write to each per piece was most of the leecher's CPU.
			continue
		}
		p.mu.Lock()
		p.ctl = appendIndex(p.ctl, pp.Have, uint32(i))
		p.mu.Unlock()
	}
	if c.haves.due {
		return
	}
	c.haves.due = true
	if c.haves.timer == nil {
		c.haves.timer = time.NewTimer(haveDelay)
	} else {
		c.haves.timer.Reset(haveDelay)
	}
}

// flushHaves wakes the writers with messages waiting: the Haves queued
// since the last flush that no other message took along. Seeds get no
// Haves, and with 1,000 of them connected waking every writer each 50 ms
// would be 20,000 wake-ups a second for nothing. (Anything else queued
// woke its writer when it was queued.)
func (t *torrent) flushHaves() {
	if c := t.data.Load(); c != nil {
		c.haves.due = false
	}
	for _, p := range t.peers {
		p.mu.Lock()
		waiting := len(p.ctl) > 0
		p.mu.Unlock()
		if waiting {
			p.signal()
		}
	}
}

// havesC is the channel flushHaves waits on; nil (never ready) when no
// Have waits.
func (t *torrent) havesC() <-chan time.Time {
	if c := t.data.Load(); c != nil && c.haves.due {
		return c.haves.timer.C
	}
	return nil
}
