package uring

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// From linux/io_uring.h.
const (
	opWritev          = 2
	offSQRing         = 0
	offSQEs           = 0x10000000
	featSingleMmap    = 1 << 0
	registerEventfd   = 4
	cqEventfdDisabled = 1 << 0
	sqeSize           = 64
	cqeSize           = 16
)

// params is struct io_uring_params.
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// sqe is struct io_uring_sqe, as IORING_OP_WRITEV reads it.
type sqe struct {
	opcode, flags uint8
	ioprio        uint16
	fd            int32
	off, addr     uint64
	len, rwFlags  uint32
	userData      uint64
	_             [24]byte
}

// cqe is struct io_uring_cqe.
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

type ring struct {
	fd       int
	mem, sqm []byte // the rings (one mapping), the submission entries
	sqTail   *uint32
	sqMask   uint32
	sqArray  unsafe.Pointer
	cqHead   *uint32
	cqTail   *uint32
	cqMask   uint32
	cqes     unsafe.Pointer
	cqFlags  *uint32
	ev       *os.File // eventfd the kernel signals on each completion
	evBuf    [8]byte
	iov      []syscall.Iovec // heap: the kernel reads it after Enter returns
}

// A Writer has at most one write in flight, on a ring of its own.
type Writer struct {
	r    *ring
	busy bool
	bufs [][]byte // the write's buffers, kept reachable until it completes
}

// NewWriter makes a Writer; ErrUnsupported when io_uring cannot be used.
func NewWriter() (*Writer, error) {
	r, err := newRing()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return &Writer{r: r}, nil
}

// Start queues one writev(2) of bufs at offset off of fd (-1: the file's
// position) and returns without waiting for it. fd need only stay open
// during the call; bufs must not change until Done or Wait reports the
// write. A Writer takes one write at a time.
func (w *Writer) Start(fd uintptr, bufs [][]byte, off int64) error {
	if w.busy {
		panic("uring: Start with a write in flight")
	}
	r := w.r
	r.iov = r.iov[:0]
	for _, b := range bufs {
		if len(b) > 0 {
			v := syscall.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			r.iov = append(r.iov, v)
		}
	}
	if len(r.iov) == 0 {
		return fmt.Errorf("uring: nothing to write")
	}
	tail := *r.sqTail
	*(*sqe)(unsafe.Pointer(&r.sqm[0])) = sqe{opcode: opWritev, fd: int32(fd), off: uint64(off),
		addr: uint64(uintptr(unsafe.Pointer(&r.iov[0]))), len: uint32(len(r.iov))}
	*(*uint32)(unsafe.Add(r.sqArray, 4*(tail&r.sqMask))) = 0
	atomic.StoreUint32(r.sqTail, tail+1)
	for {
		n, _, errno := syscall.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 1, 0, 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			// Not taken (a full completion queue cannot happen with one
			// write in flight): take the entry back.
			atomic.StoreUint32(r.sqTail, tail)
			return fmt.Errorf("uring: io_uring_enter: %w", errno)
		case n != 1:
			atomic.StoreUint32(r.sqTail, tail)
			return fmt.Errorf("uring: io_uring_enter took %d entries, not 1", n)
		}
		break
	}
	w.busy, w.bufs = true, bufs
	return nil
}

// Done reports the write in flight: ok is false while the kernel still
// has it. It makes no syscall.
func (w *Writer) Done() (n int, err error, ok bool) {
	if !w.busy {
		return 0, nil, true
	}
	r := w.r
	head := *r.cqHead
	if head == atomic.LoadUint32(r.cqTail) {
		return 0, nil, false
	}
	res := (*cqe)(unsafe.Add(r.cqes, cqeSize*uintptr(head&r.cqMask))).res
	atomic.StoreUint32(r.cqHead, head+1)
	runtime.KeepAlive(w.bufs)
	w.busy, w.bufs = false, nil
	if res < 0 {
		return 0, syscall.Errno(-res), true
	}
	return int(res), nil, true
}

// Wait waits for the write in flight, parking the goroutine, and reports
// it as Done does.
func (w *Writer) Wait() (int, error) {
	for {
		if n, err, ok := w.Done(); ok {
			return n, err
		}
		r := w.r
		atomic.StoreUint32(r.cqFlags, 0)
		// A completion between Done and the store above signalled no one.
		if n, err, ok := w.Done(); ok {
			atomic.StoreUint32(r.cqFlags, cqEventfdDisabled)
			return n, err
		}
		_, err := r.ev.Read(r.evBuf[:])
		atomic.StoreUint32(r.cqFlags, cqEventfdDisabled)
		if err != nil {
			return 0, fmt.Errorf("uring: eventfd: %w", err)
		}
	}
}

// Close waits for a write in flight and frees the ring.
func (w *Writer) Close() error {
	var err error
	if w.busy {
		_, err = w.Wait()
	}
	w.r.close()
	return err
}

func newRing() (r *ring, err error) {
	var p params
	fd, _, errno := syscall.Syscall(unix.SYS_IO_URING_SETUP, 2, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, errno
	}
	r = &ring{fd: int(fd)}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if p.features&featSingleMmap == 0 {
		return nil, fmt.Errorf("uring: kernel maps the rings apart")
	}
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*cqeSize)
	if r.mem, err = unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, err
	}
	if r.sqm, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries*sqeSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, err
	}
	at := func(off uint32) unsafe.Pointer { return unsafe.Pointer(&r.mem[off]) }
	r.sqTail = (*uint32)(at(p.sqOff.tail))
	r.sqMask = *(*uint32)(at(p.sqOff.ringMask))
	r.sqArray = at(p.sqOff.array)
	r.cqHead = (*uint32)(at(p.cqOff.head))
	r.cqTail = (*uint32)(at(p.cqOff.tail))
	r.cqMask = *(*uint32)(at(p.cqOff.ringMask))
	r.cqes = at(p.cqOff.cqes)
	r.cqFlags = (*uint32)(at(p.cqOff.flags))
	// No eventfd signal unless a Wait asks for one: a signal nobody reads
	// would still wake a thread sleeping in the poller.
	atomic.StoreUint32(r.cqFlags, cqEventfdDisabled)
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// Non-blocking, so os.File reads it through the poller: a waiting
	// goroutine parks rather than blocks its thread.
	r.ev = os.NewFile(uintptr(efd), "io_uring eventfd")
	e := int32(efd)
	if _, _, errno := syscall.Syscall6(unix.SYS_IO_URING_REGISTER, fd, registerEventfd, uintptr(unsafe.Pointer(&e)), 1, 0, 0); errno != 0 {
		return nil, errno
	}
	return r, nil
}

func (r *ring) close() {
	if r.ev != nil {
		r.ev.Close()
	}
	if r.sqm != nil {
		unix.Munmap(r.sqm)
	}
	if r.mem != nil {
		unix.Munmap(r.mem)
	}
	syscall.Close(r.fd)
}
