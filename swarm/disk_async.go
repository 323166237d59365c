package swarm

import "github.com/shoal-bt/shoal/pieces"

// maxFlights bounds a disk goroutine's direct writes in flight: a 1 MiB
// O_DIRECT write took 1.4 ms on the 2-core VM, and hashing the next MiB
// 0.6 ms, so with one in flight the goroutine waited on every other run.
const maxFlights = 4

// diskFlights is a disk goroutine's direct runs queued on the device
// (pieces.AsyncDirect), oldest first, with their blocks, which go back to
// the pool only once their write is finished. It is the disk goroutine's
// alone.
type diskFlights struct {
	async *pieces.AsyncDirect // nil until the first direct run, or where writes cannot go async
	tried bool
	runs  [][]diskBlock // each write's blocks, oldest first
	spare [][]diskBlock // finished runs' slices, for reuse
}

// start queues run, whose blocks are then the flight's; false when it
// cannot go async (diskFlights.async says why not), and run is untouched.
func (f *diskFlights) start(c *content, run []diskBlock, off int64) bool {
	if !f.tried {
		f.tried = true
		f.async = c.storage.NewAsyncDirect()
	}
	if f.async == nil {
		return false
	}
	bufs := payloads(make([][]byte, 0, len(run)), run) // the flight's own: AsyncDirect keeps it
	if !f.async.Start(bufs, off) {
		return false
	}
	var mine []diskBlock
	if n := len(f.spare); n > 0 {
		mine, f.spare = f.spare[n-1][:0], f.spare[:n-1]
	}
	f.runs = append(f.runs, append(mine, run...)) // AsyncDirect keeps bufs until the write is finished
	return true
}

func (f *diskFlights) pending() int { return len(f.runs) }

// oldestDone reports whether the oldest write is over, without a syscall.
func (f *diskFlights) oldestDone() bool { return len(f.runs) > 0 && f.async.OldestDone() }

// finish waits for the oldest write and returns its blocks and result; the
// caller hands the slice back with recycle once it has settled them.
func (f *diskFlights) finish() ([]diskBlock, error) {
	_, err := f.async.Finish()
	run := f.runs[0]
	f.runs[0] = nil
	f.runs = f.runs[1:]
	return run, err
}

func (f *diskFlights) recycle(run []diskBlock) {
	clear(run)
	f.spare = append(f.spare, run[:0])
}

// close waits for every write in flight; their blocks are dropped.
func (f *diskFlights) close() {
	if f.async != nil {
		f.async.Close()
	}
	f.runs = nil
}
