package swarm

import (
	"context"
	"crypto/sha1"
	"hash"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// The block write path, off the torrent's goroutine. Readers hand
// received blocks to a few disk goroutines (sharded by piece, so one
// piece's blocks stay in order); each writes with pwrite and feeds the
// block into the piece's running SHA-1 (a v2-only torrent's: its 16 KiB
// Merkle leaves, pieces.LeafHasher) when it is the next in order, so a
// piece downloaded in order is verified without reading it back, and into
// the piece's BLAKE3 subtrees (pieces.PieceHasher), so a file downloaded
// in this process is checked against its digest without reading it back
// either. Notes of written blocks go to the torrent's goroutine in batches.
//
// Blocks of a piece hashed in order are written with O_DIRECT in runs of
// up to 1 MiB (pieces.Storage.WriteBuffersDirect), unless
// Config.BufferedWrites: such bytes are never read back, and filling new
// page-cache pages was the leecher's largest kernel cost on a cold VM.
// A run of them waits up to holdFor for its next block, since a short
// O_DIRECT write costs more than a buffered one; a run under
// minDirectRun goes through the cache.

const (
	diskShards   = 2
	maxRun       = 256 << 10 // bytes per coalesced write
	maxDirectRun = 1 << 20   // bytes per O_DIRECT write
	minDirectRun = 256 << 10 // shorter direct-eligible runs are buffered
	holdFor      = 3 * time.Millisecond
	reapAfter    = time.Millisecond // an idle disk goroutine collects its queued write
)

type diskBlock struct {
	p   *peer
	b   pieces.Block
	buf *[]byte
}

type runningHash struct {
	h       hash.Hash           // SHA-1, with a v1 half; nil for v2-only
	leaves  *pieces.LeafHasher  // v2-only: the piece's leaves; nil otherwise
	b3      *pieces.PieceHasher // the piece's BLAKE3 subtrees, fed as h is; nil without digests
	next    int                 // bytes hashed so far
	broken  bool                // a block came out of order: verify by reading back
	written []bool              // blocks on disk in this attempt: the first copy wins
}

// inOrder reports whether the piece is being hashed as it is written, so
// it is checked without reading it back.
func (rh *runningHash) inOrder() bool { return !rh.broken && (rh.h != nil || rh.leaves != nil) }

// blockNote tells the actor a block from p is on disk (or, for an endgame
// duplicate, was discarded); notes keep the order of the writes, so the
// actor credits the copy that was kept.
type blockNote struct {
	p *peer
	b pieces.Block
}

func (c *content) diskLoop(ctx context.Context, in chan diskBlock, req chan int, notes chan<- peerEvent, wasted *atomic.Int64) {
	running := map[int]*runningHash{}
	var batch []blockNote
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case notes <- peerEvent{notes: batch}:
		case <-ctx.Done():
			return false
		}
		batch = nil
		return true
	}
	// Contiguous blocks are written with one pwritev: on this kernel the
	// per-call cost of 16 KiB writes dominates the copy.
	var run []diskBlock
	var runOff int64
	var runDirect bool // no block of the run is in a piece that will be read back
	var bufs [][]byte
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	var holdC <-chan time.Time
	// A direct run goes to the device through flights, which return once
	// the write is queued; a reap timer collects them when no block comes
	// to do so.
	var fl diskFlights
	defer fl.close()
	reap := time.NewTimer(time.Hour)
	reap.Stop()
	var reapC <-chan time.Time
	var settle func([]diskBlock, error) bool
	finishOne := func() bool {
		done, err := fl.finish()
		ok := settle(done, err)
		fl.recycle(done)
		return ok
	}
	// finishAll comes before any other storage call and before a note
	// that must follow every write (a duplicate's, a read-back's).
	finishAll := func() bool {
		if reapC != nil {
			reap.Stop()
			reapC = nil
		}
		for fl.pending() > 0 {
			if !finishOne() {
				return false
			}
		}
		return true
	}
	reapDone := func() bool {
		for fl.oldestDone() {
			if !finishOne() {
				return false
			}
		}
		return true
	}
	writeRun := func() bool {
		if !reapDone() {
			return false
		}
		if len(run) == 0 {
			return true
		}
		if runDirect && c.asyncEligible(run) {
			if fl.pending() == maxFlights && !finishOne() {
				return false
			}
			if fl.start(c, run, runOff) {
				run = run[:0]
				if holdC != nil {
					hold.Stop()
					holdC = nil
				}
				return true
			}
		}
		if !finishAll() {
			return false
		}
		err := c.writeRun(run, runOff, &bufs, runDirect)
		ok := settle(run, err)
		run = run[:0]
		if holdC != nil {
			hold.Stop()
			holdC = nil
		}
		return ok
	}
	settle = func(run []diskBlock, err error) bool {
		for _, d := range run {
			putBlock(d.buf)
			if err == nil {
				batch = append(batch, blockNote{p: d.p, b: d.b})
				continue
			}
			rh := running[d.b.Piece]
			rh.broken = true
			rh.written[d.b.Begin/blockSize] = false
			if !flush() {
				return false
			}
			select {
			case notes <- peerEvent{p: d.p, blocks: []pieces.Block{d.b}, diskErr: err}:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	for {
		if len(in) == 0 {
			if runDirect && !c.runEndsPiece(run) && len(run)*blockSize < maxDirectRun {
				// Hold a direct run a moment for its next block: O_DIRECT
				// writes cost per call far more than buffered ones.
				if !flush() {
					return
				}
				if holdC == nil {
					hold.Reset(holdFor)
					holdC = hold.C
				}
			} else if !writeRun() || !flush() {
				return
			}
			if !reapDone() || !flush() {
				return
			}
			if fl.pending() > 0 && reapC == nil {
				reap.Reset(reapAfter)
				reapC = reap.C
			}
		}
		var d diskBlock
		select {
		case <-ctx.Done():
			return
		case <-reapC:
			reapC = nil
			if !finishAll() || !flush() {
				return
			}
			continue
		case <-holdC:
			holdC = nil
			if !writeRun() || !flush() {
				return
			}
			continue
		case i := <-req:
			if !writeRun() { // a read-back must see every block
				return
			}
			rh := running[i]
			delete(running, i)
			if rh != nil && rh.inOrder() && int64(rh.next) == c.info.PieceSize(i) {
				var r hashResult
				if rh.h != nil {
					var sum [20]byte
					rh.h.Sum(sum[:0])
					r = hashResult{piece: i, ok: sum == c.info.Hashes[i]}
				} else {
					r = hashResult{piece: i, ok: rh.leaves.OK(c.tor, i)}
				}
				if r.ok && rh.b3 != nil {
					r.digest = rh.b3.Sum()
				}
				select {
				case c.hashed <- r:
				case <-ctx.Done():
					return
				}
			} else {
				// A read-back must see every block, so the run writeRun
				// may just have queued is finished too (the actor asks
				// only once it was told of each block of i, so that run
				// should hold none of them).
				if !finishAll() {
					return
				}
				c.hashJobs <- i // read back on the hashing pool
			}
			continue
		case d = <-in:
		}
		if !reapDone() {
			return
		}
		data := (*d.buf)[:d.b.Length]
		if d.p.dead.Load() {
			// Its requests went to other peers, whose blocks the actor
			// expects; this one must not overwrite them.
			putBlock(d.buf)
			wasted.Add(int64(len(data)))
			continue
		}
		rh := running[d.b.Piece]
		if rh == nil {
			nb := (c.info.PieceSize(d.b.Piece) + blockSize - 1) / blockSize
			rh = &runningHash{written: make([]bool, nb), b3: pieces.NewPieceHasher(c.info, d.b.Piece)}
			if c.info.HasV1() {
				rh.h = sha1.New()
			} else {
				rh.leaves = pieces.NewLeafHasher(c.info, d.b.Piece) // nil: read back, as before
			}
			running[d.b.Piece] = rh
		}
		k := d.b.Begin / blockSize
		off := c.info.PieceOffset(d.b.Piece) + int64(d.b.Begin)
		if k >= len(rh.written) || rh.written[k] || c.has(d.b.Piece) {
			// The actor credits whichever copy it is told of first: the
			// kept one, still in the run, must be written and noted before
			// this one, or a piece that fails blames the wrong sender.
			if len(run) > 0 && off >= runOff && off < runOff+int64(len(run))*blockSize && !writeRun() || !finishAll() {
				return
			}
			putBlock(d.buf)
			batch = append(batch, blockNote{p: d.p, b: d.b}) // the actor counts it as wasted
			continue
		}
		rh.written[k] = true
		switch {
		case rh.broken:
		case d.b.Begin == rh.next:
			if rh.h != nil {
				rh.h.Write(data)
			} else if rh.leaves != nil {
				rh.leaves.Write(data)
			}
			if rh.b3 != nil {
				rh.b3.Write(data) // BLAKE3 here spares the pass that read every file back
			}
			rh.next += len(data)
		default:
			// Out of order, or a duplicate overwriting hashed bytes: only
			// reading the piece back tells what the disk holds.
			rh.broken = true
		}
		limit := maxRun
		if runDirect {
			limit = maxDirectRun
		}
		if len(run) > 0 && (off != runOff+int64(len(run))*blockSize || len(run)*blockSize >= limit ||
			run[len(run)-1].b.Length != blockSize) {
			if !writeRun() {
				return
			}
		}
		if len(run) == 0 {
			runOff, runDirect = off, !c.env.bufferedWrites
		}
		// A piece hashed as it came is never read back, so its bytes skip
		// the page cache; one that will be read back keeps them there.
		runDirect = runDirect && rh.inOrder()
		run = append(run, d)
		if len(batch) >= 64 && !flush() {
			return
		}
	}
}
