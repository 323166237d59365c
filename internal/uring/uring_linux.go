package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
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

// A Write is one write in flight on a ring borrowed from the pool; the
// ring goes back once Done or Wait has reported the write.
type Write struct {
	r    *ring
	bufs [][]byte // the write's buffers, kept reachable until it completes
}

// maxRings bounds the rings, made as writes need them and kept for the
// life of the process: a daemon holding thousands of torrents has as many
// as it has writes in flight at once, at most this many.
const maxRings = 32

// wakeBound is the longest Wait sleeps without looking at the ring.
const wakeBound = 10 * time.Millisecond

var pool struct {
	free   chan *ring
	made   atomic.Int32
	broken atomic.Bool // a ring could not be made: io_uring is not for us
}

func init() { pool.free = make(chan *ring, maxRings) }

// take returns a free ring, or makes one.
func take() (*ring, error) {
	select {
	case r := <-pool.free:
		return r, nil
	default:
	}
	if pool.broken.Load() {
		return nil, ErrUnsupported
	}
	if pool.made.Add(1) > maxRings {
		pool.made.Add(-1)
		return nil, ErrBusy
	}
	r, err := newRing()
	if err != nil {
		pool.made.Add(-1)
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOMEM) {
			return nil, ErrBusy // out of descriptors or locked memory for now
		}
		pool.broken.Store(true)
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return r, nil
}

// Available reports whether writes can go through io_uring here.
func Available() bool {
	r, err := take()
	if r != nil {
		pool.free <- r
	}
	return err == nil || errors.Is(err, ErrBusy)
}

// Start queues one writev(2) of bufs at offset off of fd (-1: the file's
// position) and returns without waiting for it. fd need only stay open
// during the call; bufs must not change until Done or Wait reports the
// write. ErrBusy: every ring has a write in flight; ErrUnsupported: no
// io_uring here. Either way nothing was written.
func Start(fd uintptr, bufs [][]byte, off int64) (*Write, error) {
	r, err := take()
	if err != nil {
		return nil, err
	}
	if err := r.start(fd, bufs, off); err != nil {
		pool.free <- r
		return nil, err
	}
	return &Write{r: r, bufs: bufs}, nil
}

func (r *ring) start(fd uintptr, bufs [][]byte, off int64) error {
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
		return nil
	}
}

// Done reports the write: ok is false while the kernel still has it. It
// makes no syscall. Once ok, w is spent.
func (w *Write) Done() (n int, err error, ok bool) {
	r := w.r
	if r == nil {
		panic("uring: Done on a spent Write")
	}
	head := *r.cqHead
	if head == atomic.LoadUint32(r.cqTail) {
		return 0, nil, false
	}
	res := (*cqe)(unsafe.Add(r.cqes, cqeSize*uintptr(head&r.cqMask))).res
	atomic.StoreUint32(r.cqHead, head+1)
	runtime.KeepAlive(w.bufs)
	w.r, w.bufs = nil, nil
	pool.free <- r
	if res < 0 {
		return 0, syscall.Errno(-res), true
	}
	return int(res), nil, true
}

// Wait waits for the write, parking the goroutine on the ring's eventfd,
// and reports it as Done does.
func (w *Write) Wait() (int, error) {
	for {
		if n, err, ok := w.Done(); ok {
			return n, err
		}
		r := w.r
		atomic.StoreUint32(r.cqFlags, 0)
		// A completion between Done and the store above signalled no one.
		// Look without taking it: Done gives the ring back to the pool,
		// whose next user's eventfd this flag must then not touch.
		if *r.cqHead != atomic.LoadUint32(r.cqTail) {
			atomic.StoreUint32(r.cqFlags, cqEventfdDisabled)
			continue
		}
		// The deadline bounds a lost wake-up: the kernel stores the tail
		// and then reads the flag, this goroutine the other way round,
		// and nothing here proves the kernel orders the two.
		r.ev.SetReadDeadline(time.Now().Add(wakeBound))
		_, err := r.ev.Read(r.evBuf[:])
		atomic.StoreUint32(r.cqFlags, cqEventfdDisabled)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// Cannot happen to an eventfd nobody closes; but the write,
			// its buffers and the ring are the kernel's until it reports,
			// so look again in a while rather than give up on it.
			time.Sleep(wakeBound)
		}
	}
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
