package swarm

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/shoal-bt/shoal/pieces"
)

// Starting the disk goroutines and the hashing pool (disk.go says what
// they do), and asking them to verify a piece.

// startDisk begins the content's disk work once the torrent runs: the
// BLAKE3 check of a restarted seed (digest.go), which reads the disk and
// must not start before the torrent does, and, unless the torrent is
// complete, the disk goroutines and hashing pool (startWorkers).
func (t *torrent) startDisk(ctx context.Context, c *content) {
	if !t.completed {
		t.startWorkers()
	}
	t.startDigestCheck(ctx, c)
}

// startWorkers starts the content's disk goroutines and hashing pool the
// first time the torrent wants data (see request): a complete seed writes
// and hashes nothing, and 10,000 seeds kept 40,000 idle goroutines.
// Blocks only come after our requests, so none waits for them.
//
// Their channels are made here too (20 KiB and more a torrent, which
// 10,000 seeds held for nothing): peers' readers reach c.disk only for a
// block they find in reqOut under p.mu, which request fills after this.
func (t *torrent) startWorkers() {
	c := t.data.Load()
	if !t.running || c == nil || t.ctx.Err() != nil {
		return
	}
	t.ensureEvents() // the disk goroutines report on it
	c.startWorkers(t.ctx, &t.wg, t.events, &t.xfer.wasted)
}

// startWorkers makes the disk and hashing channels and starts the disk
// goroutines, which report written blocks on notes and count discarded
// ones in wasted, and the hashing pool, once; they run until ctx ends and
// wg counts them.
func (c *content) startWorkers(ctx context.Context, wg *sync.WaitGroup, notes chan<- peerEvent, wasted *atomic.Int64) {
	if c.workers {
		return
	}
	c.workers = true
	n := c.info.NumPieces()
	for k := range diskShards {
		c.disk[k] = make(chan diskBlock, 256)
		c.hashReq[k] = make(chan int, n)
	}
	c.hashJobs = make(chan int, n)
	c.hashed = make(chan hashResult, n)
	for range c.env.hashWorkers {
		wg.Go(func() { c.hashLoop(ctx) })
	}
	for k := range diskShards {
		ch, req := c.disk[k], c.hashReq[k]
		wg.Go(func() { c.diskLoop(ctx, ch, req, notes, wasted) })
	}
}

// hashLoop is one of the hashing pool's goroutines: it reads pieces back
// and answers on hashed.
func (c *content) hashLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-c.hashJobs:
			ok, d, err := pieces.PieceOKDigest(c.storage, c.tor, i)
			c.hashed <- hashResult{piece: i, ok: ok, err: err, readback: true, digest: d}
		}
	}
}

func (c *content) diskShard(piece int) chan diskBlock { return c.disk[piece%diskShards] }

// verify asks for piece i to be hashed; the loop calls it once it has
// noted every block, which the disk goroutine has therefore written.
func (t *torrent) verify(i int) {
	t.startWorkers() // they run already once blocks came; a nil channel would block the loop for good
	if c := t.data.Load(); c.hashReq[0] != nil {
		c.verify(i)
	}
}

func (c *content) verify(i int) { c.hashReq[i%diskShards] <- i }
