package pieces

import (
	"errors"
	"fmt"
	"sort"
	"syscall"

	"github.com/shoal-bt/shoal/internal/uring"
)

// An AsyncDirect writes one run at a time past the page cache, as
// WriteBuffersDirect does, but returns once the write is queued: the
// caller goes on hashing what came next while the device works, and
// collects the write later. Its goroutine never waits in a blocking
// syscall, which on the 2-core VM cost the runtime a thread hand-off and
// a burst of sysmon polling per write (internal/uring says how much).
//
// An AsyncDirect belongs to one goroutine. While a write is in flight it
// holds its file open and the part lock for reading, so its owner must
// Finish it before any other call on the Storage.
type AsyncDirect struct {
	s    *Storage
	w    *uring.Write // the write in flight
	busy bool         // a write was started and not finished
	done bool         // the kernel has reported it
	n    int
	err  error

	h     *handle
	k     int
	bufs  [][]byte
	off   int64
	total int
}

// NewAsyncDirect returns nil where writes cannot go async (no io_uring,
// or no O_DIRECT on this system); the caller then writes with
// WriteBuffersDirect.
func (s *Storage) NewAsyncDirect() *AsyncDirect {
	if !haveDirect || !uring.Available() {
		return nil
	}
	return &AsyncDirect{s: s}
}

// Start begins writing bufs at torrent offset off. It returns false, having
// done nothing, when the run cannot be written directly and at once (not
// inside one file, unaligned, a parted file, a file system that refuses
// O_DIRECT, or any error opening the file): the caller then writes it with
// WriteBuffersDirect, which falls back or reports the error. A write
// in flight must be finished first.
func (a *AsyncDirect) Start(bufs [][]byte, off int64) bool {
	if a.busy {
		panic("pieces: AsyncDirect.Start with a write in flight")
	}
	s := a.s
	total := 0
	for _, b := range bufs {
		if !aligned(b) {
			return false
		}
		total += len(b)
	}
	files := s.info.Files
	if total == 0 || off < 0 || off > s.info.Length-int64(total) {
		return false
	}
	k := sort.Search(len(files), func(k int) bool { return files[k].Offset+files[k].Length > off })
	if k == len(files) || files[k].Padding || off+int64(total) > files[k].Offset+files[k].Length ||
		(off-files[k].Offset)%DirectAlign != 0 {
		return false
	}
	s.part.mu.RLock()
	if s.part.parted != nil && s.part.parted[k] {
		s.part.mu.RUnlock()
		return false
	}
	h, herr := s.acquire(k, true)
	if herr != nil {
		s.part.mu.RUnlock()
		return false
	}
	f := s.directFile(h)
	var w *uring.Write
	if f != nil {
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { w, _ = uring.Start(fd, bufs, off-files[k].Offset) })
		}
	}
	if w == nil { // no O_DIRECT here, or every ring busy
		s.release(h)
		s.part.mu.RUnlock()
		return false
	}
	*a = AsyncDirect{s: s, w: w, busy: true, h: h, k: k, bufs: bufs, off: off, total: total}
	return true
}

// Busy reports whether a write is in flight and the kernel has not yet
// reported it. It makes no syscall.
func (a *AsyncDirect) Busy() bool {
	if !a.busy || a.done {
		return false
	}
	a.n, a.err, a.done = a.w.Done()
	return !a.done
}

// Pending reports whether a started write is not yet finished.
func (a *AsyncDirect) Pending() bool { return a.busy }

// Finish waits for the write in flight and returns what WriteBuffersDirect
// would have: the bytes written and the first error. A write the kernel
// cut short is completed, and one the file system refused (EINVAL) is
// done again through the page cache, as WriteBuffersDirect does.
func (a *AsyncDirect) Finish() (int, error) {
	if !a.busy {
		return 0, nil
	}
	if !a.done {
		a.n, a.err = a.w.Wait()
	}
	s, n, err := a.s, a.n, a.err
	s.release(a.h)
	s.part.mu.RUnlock()
	bufs, off, total, k := a.bufs, a.off, a.total, a.k
	*a = AsyncDirect{s: s}
	switch {
	case n == 0 && errors.Is(err, syscall.EINVAL):
		s.mu.Lock()
		s.noDirect = true
		s.mu.Unlock()
		return s.WriteBuffersAt(bufs, off)
	case err != nil:
		return n, fmt.Errorf("%s: pwritev: %w", s.rel[k], err)
	case n < total:
		m, err := s.WriteBuffersAt(trimFront(bufs, n), off+int64(n))
		return n + m, err
	}
	return n, s.createEmpty(off, off+int64(total))
}

// Close finishes a write in flight.
func (a *AsyncDirect) Close() error {
	_, err := a.Finish()
	return err
}

// trimFront returns bufs without their first n bytes.
func trimFront(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs = append([][]byte{bufs[0][n:]}, bufs[1:]...)
	}
	return bufs
}
