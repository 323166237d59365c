// Package uring queues file writes on a Linux io_uring, so that the
// goroutine that asked for a write goes on working while the device
// does it, and never waits in a blocking syscall.
//
// Why: a leecher writes verified pieces with O_DIRECT, and each such
// write waits for the device. A goroutine in a blocking syscall keeps its
// thread; the runtime's sysmon takes the thread's P away after 20 µs,
// wakes another thread to run it, and then polls every 20 µs for a
// millisecond. With a write per MiB that came to 14,000 context switches
// and about 0.15 CPU s per GiB on the 2-core VM. Through a ring the write
// is queued with one short syscall, its completion is read from shared
// memory with none, and a goroutine that must wait for it parks on an
// eventfd the runtime's poller watches.
//
// Only the one operation shoal needs is here (IORING_OP_WRITEV). Each
// write borrows a ring of its own from a pool of at most maxRings, made as
// needed and kept for the life of the process (two descriptors each), so
// a daemon with thousands of torrents holds only as many rings as it has
// writes in flight at once. Where io_uring is missing or forbidden (old
// kernels, seccomp, kernel.io_uring_disabled) Start says ErrUnsupported,
// and when every ring is busy ErrBusy; the caller then writes with
// pwritev(2).
//
// Ownership: a free ring belongs to the pool. Start hands one to a Write,
// which belongs to the goroutine that started it, as do the buffers of
// the write; the kernel reads them until Done or Wait reports the write,
// which puts the ring back.
package uring

import "errors"

var (
	// ErrUnsupported is returned when no ring can be had on this system.
	ErrUnsupported = errors.New("uring: io_uring not available")
	// ErrBusy is returned when every ring has a write in flight.
	ErrBusy = errors.New("uring: every ring is busy")
)
