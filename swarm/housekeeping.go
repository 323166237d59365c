package swarm

import (
	"math/rand/v2"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// housekeeping runs every second: retries after a full disk, PEX,
// metadata re-requests, interest, dialling.
func (t *torrent) housekeeping() {
	if c := t.data.Load(); c != nil && !c.writeFailed.IsZero() && time.Since(c.writeFailed) > 5*time.Second {
		c.writeFailed = time.Time{}
		t.fillRequests()
	}
	for _, p := range t.peers {
		if t.meta != nil {
			t.meta.requestFrom(t, p)
		}
		t.askLayers(p) // times out unanswered hash requests too
		if time.Since(p.connectedAt) > 2*time.Second {
			t.sendPEX(p)
		}
		if t.picker != nil {
			t.releaseIfSnubbed(p)
			t.updateInterest(p)
			t.request(p)
		}
	}
	t.leafChecksTick()
	t.webFill()
	t.dial()
	if c := t.data.Load(); c != nil && t.quiet() {
		c.storage.CloseIdle() // no peer reads them: a quiet torrent holds no descriptors
	}
	if c := t.data.Load(); t.completed && c != nil && !t.paused && time.Since(c.stamps.checked) >= t.stampEvery() {
		for _, f := range c.changedFiles() {
			t.fileChanged(c, f, "its size or mtime changed")
		}
	}
}

// stampWatch is what a complete torrent's content knows of its files'
// stamps; the torrent's loop alone calls the methods that use it.
type stampWatch struct {
	// seed are the files' sizes and mtimes when last checked while
	// complete; a change means someone edited the data under us.
	seed    []pieces.FileStamp
	checked time.Time // when the paths were last stat'ed
}

// stampCheckEvery is how often a complete torrent's files are stat'ed by
// path for changes made behind shoal's back. Reads for upload check their
// own descriptor on every read; this catches what they cannot see: a file
// replaced by rename (the descriptor keeps the old inode) or deleted.
var stampCheckEvery = 10 * time.Second

// quietStampChecks is how many times further apart a quiet torrent's
// checks are. It has closed its files (CloseIdle), so the next read opens
// the path anew and compares that descriptor with the guard: nothing
// changed is served, and only the news of a change waits longer. 10,000
// idle seeds stat'ed 1,000 paths a second.
const quietStampChecks = 6

// stampEvery is the period of the torrent's stamp checks.
func (t *torrent) stampEvery() time.Duration {
	if t.pub.drowsy.Load() {
		return quietStampChecks * stampCheckEvery
	}
	return stampCheckEvery
}

// spread moves the next check to a random point of the quiet period, so
// that torrents restored together do not all stat their paths at once.
func (w *stampWatch) spread() {
	w.checked = time.Now().Add(-rand.N(quietStampChecks * stampCheckEvery))
}

// changedFiles stats the files of a complete torrent by path and returns
// those whose size or mtime changed since the last look (see fileChanged).
// On the torrent's loop.
func (c *content) changedFiles() []int {
	c.stamps.checked = time.Now()
	now, err := pieces.Stamp(c.env.dir, c.info)
	if err != nil {
		c.env.log.Warn("Checking files for changes failed", "err", err)
		return nil
	}
	was := c.stamps.seed
	c.stamps.seed = now
	if was == nil {
		return nil
	}
	var out []int
	for f, st := range now {
		if !st.Equal(was[f]) {
			out = append(out, f)
		}
	}
	return out
}

const snubAfter = 20 * time.Second

// releaseIfSnubbed gives the requests of a peer that unchoked us but sent
// nothing for a while back to the picker, so others can serve them, and
// shrinks its pipeline until it delivers again.
func (t *torrent) releaseIfSnubbed(p *peer) {
	pr := pieces.Peer(p.id)
	if p.peerChoking || t.picker.Outstanding(pr) == 0 || time.Since(latest(p.lastBlock, p.unchokedAt)) < snubAfter {
		return
	}
	dropped := t.picker.HandleChoke(pr, false)
	t.picker.HandleUnchoke(pr)
	p.mu.Lock()
	for _, b := range dropped {
		if _, ok := p.reqOut[b]; ok {
			p.excuse(b)
		}
		delete(p.reqOut, b)
		p.ctl = appendRequest(p.ctl, pp.Cancel, uint32(b.Piece), uint32(b.Begin), uint32(b.Length))
	}
	p.mu.Unlock()
	p.signal()
	p.queueTarget = 2
	p.unchokedAt = time.Now() // another chance after snubAfter
	t.fillRequests()
}
