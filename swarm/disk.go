package swarm

import (
	"context"
	"crypto/sha1"
	"hash"
	"slices"
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
// up to 1 MiB (pieces.AsyncDirect, or Storage.WriteBuffersDirect where
// writes cannot be queued), unless Config.BufferedWrites: such bytes are
// never read back, and filling new page-cache pages was the leecher's
// largest kernel cost on a cold VM. Each piece whose blocks come gets a
// run of its own (up to maxOpenRuns), so peers' interleaved pieces do not
// cut each other's runs short. A run waits up to holdFor for its next
// block, since a short O_DIRECT write costs more than a buffered one; a
// run under minDirectRun goes through the cache.

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
	// per-call cost of 16 KiB writes dominates the copy. A run is built
	// for each piece whose blocks come (disk_runs.go).
	var open []*diskRun
	var spareRuns []*diskRun
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
	// settle returns a written (or failed) run's blocks to the pool and
	// tells the actor of each.
	settle := func(run []diskBlock, err error) bool {
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
	// writeRun writes open[i] and drops it from open.
	writeRun := func(i int) bool {
		r := open[i]
		open = slices.Delete(open, i, i+1)
		defer func() {
			clear(r.blocks)
			r.blocks = r.blocks[:0]
			spareRuns = append(spareRuns, r)
			if len(open) == 0 && holdC != nil {
				hold.Stop()
				holdC = nil
			}
		}()
		if !reapDone() {
			return false
		}
		if err := c.hookErr(); err != nil {
			return finishAll() && settle(r.blocks, err)
		}
		if r.direct && longEnoughForDirect(r.blocks) {
			if fl.pending() == maxFlights && !finishOne() {
				return false
			}
			if fl.start(c, r.blocks, r.off) {
				return true
			}
		}
		if !finishAll() {
			return false
		}
		err := c.writeRun(r.blocks, r.off, &bufs, r.direct)
		return settle(r.blocks, err)
	}
	writeAll := func() bool {
		for len(open) > 0 {
			if !writeRun(0) {
				return false
			}
		}
		return true
	}
	for {
		if len(in) == 0 {
			// Hold a direct run a moment for its next block: O_DIRECT
			// writes cost per call far more than buffered ones.
			held := false
			for i := 0; i < len(open); {
				if c.held(open[i]) {
					held = true
					i++
				} else if !writeRun(i) {
					return
				}
			}
			if held && holdC == nil {
				hold.Reset(holdFor)
				holdC = hold.C
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
			if !writeAll() || !flush() {
				return
			}
			continue
		case i := <-req:
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
				// A read-back must see every block. The actor asks only
				// once it was told of each block of i, so no open run or
				// write in flight should hold one; write and finish them
				// all the same.
				if !writeAll() || !finishAll() {
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
			if i := runOf(open, d.b.Piece); i >= 0 && off >= open[i].off && off < open[i].end() && !writeRun(i) || !finishAll() {
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
		i := runOf(open, d.b.Piece)
		if i >= 0 && open[i].full(off) {
			if !writeRun(i) {
				return
			}
			i = -1
		}
		if i < 0 {
			if len(open) == maxOpenRuns && !writeRun(0) {
				return
			}
			r := &diskRun{}
			if n := len(spareRuns); n > 0 {
				r, spareRuns = spareRuns[n-1], spareRuns[:n-1]
			}
			r.off, r.direct = off, !c.env.bufferedWrites
			open = append(open, r)
			i = len(open) - 1
		}
		r := open[i]
		// A piece hashed as it came is never read back, so its bytes skip
		// the page cache; one that will be read back keeps them there.
		r.direct = r.direct && rh.inOrder()
		r.blocks = append(r.blocks, d)
		if c.runEndsPiece(r.blocks) && !writeRun(i) { // nothing more will join it
			return
		}
		if len(batch) >= 64 && !flush() {
			return
		}
	}
}
