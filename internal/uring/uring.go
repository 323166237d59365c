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
// Only the one operation shoal needs is here (IORING_OP_WRITEV), one
// write at a time per Writer, each Writer with a ring of its own (two
// descriptors). Where io_uring is missing or forbidden (old kernels,
// seccomp, kernel.io_uring_disabled) NewWriter says ErrUnsupported and
// the caller writes with pwritev(2).
//
// Ownership: a Writer belongs to the goroutine that made it; so do the
// ring's memory and the buffers of the write in flight, which the kernel
// reads until Done or Wait reports the write.
package uring

import "errors"

// ErrUnsupported is returned when no ring can be had on this system.
var ErrUnsupported = errors.New("uring: io_uring not available")
