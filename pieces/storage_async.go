package pieces

import (
	"fmt"
	"syscall"

	"github.com/shoal-bt/shoal/internal/uring"
)

// An AsyncDirect writes runs past the page cache, as WriteBuffersDirect
// does, but returns once a write is queued: the caller goes on hashing
// what came next while the device works, and collects its writes later,
// oldest first. Its goroutine never waits in a blocking syscall, which on
// the 2-core VM cost the runtime a thread hand-off and a burst of sysmon
// polling per write (internal/uring says how much), and with several
// writes in flight it does not wait for each before queueing the next:
// a 1 MiB direct write took 1.4 ms there, hashing the next MiB 0.6.
//
// An AsyncDirect belongs to one goroutine. Each write in flight holds its
// file open and the part lock for reading, so the owner must finish them
// all before any other call on the Storage; Start never waits for that
// lock (a Close or a parting waiting for it would wait for us in turn).
type AsyncDirect struct {
	s *Storage
	q []flight // oldest first
}

type flight struct {
	w     *uring.Write
	done  bool // the kernel has reported it: n, err
	n     int
	err   error
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

// Start queues a write of bufs at torrent offset off. It returns false,
// having done nothing, when the run cannot be written directly and at once
// (not inside one file, unaligned, a parted file, a file system that
// refuses O_DIRECT, an error opening the file, every ring busy, or the
// part lock wanted by a writer): the caller then finishes the writes in
// flight and writes the run with WriteBuffersDirect, which falls back or
// reports the error.
func (a *AsyncDirect) Start(bufs [][]byte, off int64) bool {
	s := a.s
	p, err := s.place(bufs, off)
	if err != nil || !p.direct {
		return false
	}
	k, total := p.k, p.total
	h, ok, err := s.holdForWrite(k, false)
	if !ok || err != nil {
		return false
	}
	var w *uring.Write
	if f := s.directFile(h); f != nil {
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { w, _ = uring.Start(fd, bufs, off-s.info.Files[k].Offset) })
		}
	}
	if w == nil {
		s.unhold(h)
		return false
	}
	a.q = append(a.q, flight{w: w, h: h, k: k, bufs: bufs, off: off, total: total})
	return true
}

// Pending is the number of writes queued and not yet finished.
func (a *AsyncDirect) Pending() int { return len(a.q) }

// OldestDone reports whether the kernel has reported the oldest write in
// flight, which Finish then returns at once. It makes no syscall.
func (a *AsyncDirect) OldestDone() bool {
	if len(a.q) == 0 {
		return false
	}
	f := &a.q[0]
	if !f.done {
		f.n, f.err, f.done = f.w.Done()
	}
	return f.done
}

// Finish waits for the oldest write in flight and returns what
// WriteBuffersDirect would have: the bytes written and the first error.
// A write the kernel cut short is completed, and one the file system
// refused (EINVAL) is done again through the page cache, as
// WriteBuffersDirect does.
func (a *AsyncDirect) Finish() (int, error) {
	if len(a.q) == 0 {
		return 0, nil
	}
	f := a.q[0]
	a.q[0] = flight{}
	a.q = a.q[1:]
	if len(a.q) == 0 {
		a.q = a.q[:0:0] // let the drained slice's array go
	}
	if !f.done {
		f.n, f.err = f.w.Wait()
	}
	s := a.s
	s.unhold(f.h)
	switch {
	case f.n == 0 && f.err == syscall.EINVAL:
		s.refuseDirect()
		return s.WriteBuffersAt(f.bufs, f.off)
	case f.err != nil:
		return f.n, fmt.Errorf("%s: pwritev: %w", s.rel[f.k], f.err)
	case f.n < f.total:
		m, err := s.WriteBuffersAt(trimFront(f.bufs, f.n), f.off+int64(f.n))
		return f.n + m, err
	}
	return f.n, s.createEmpty(f.off, f.off+int64(f.total))
}

// Close finishes every write in flight and returns the first error.
func (a *AsyncDirect) Close() error {
	var first error
	for len(a.q) > 0 {
		if _, err := a.Finish(); err != nil && first == nil {
			first = err
		}
	}
	return first
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
