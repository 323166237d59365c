//go:build linux && (amd64 || arm64)

package tracker

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the readers move packets with recvmmsg and sendmmsg, up to
// udpBatch per system call: under load the calls, not the announces, are
// most of the CPU a UDP tracker spends.
const udpBatch = 32

// mmsghdr is struct mmsghdr from <sys/socket.h> on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

type udpBatchBufs struct {
	in, out [udpBatch][]byte
	names   [udpBatch]syscall.RawSockaddrInet6 // large enough for either family
	inIov   [udpBatch]syscall.Iovec
	outIov  [udpBatch]syscall.Iovec
	inMsg   [udpBatch]mmsghdr
	outMsg  [udpBatch]mmsghdr
}

func (u *udpFrontend) readLoopPlatform() {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		u.readLoop()
		return
	}
	b := &udpBatchBufs{}
	for i := range udpBatch {
		b.in[i] = make([]byte, 2048)
		b.out[i] = make([]byte, 0, 1500)
		b.inIov[i].Base = &b.in[i][0]
		b.inMsg[i].hdr.Iov = &b.inIov[i]
		b.inMsg[i].hdr.Iovlen = 1
		b.inMsg[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		b.outMsg[i].hdr.Iov = &b.outIov[i]
		b.outMsg[i].hdr.Iovlen = 1
	}
	res := announceResult{Peers4: make([]byte, 0, 512), Peers6: make([]byte, 0, 512)}
	var scrape []scrapeEntry
	for {
		for i := range udpBatch {
			b.inIov[i].SetLen(len(b.in[i]))
			b.inMsg[i].hdr.Namelen = uint32(unsafe.Sizeof(b.names[i]))
			b.inMsg[i].len = 0
		}
		var n int
		var errno syscall.Errno
		err := rc.Read(func(fd uintptr) bool {
			r, _, e := syscall.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.inMsg[0])), udpBatch, 0, 0, 0)
			if e == syscall.EAGAIN || e == syscall.EINTR {
				return false // wait for the socket to be readable
			}
			n, errno = int(r), e
			return true
		})
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				u.log.Debug("UDP read", "err", err)
			}
			return
		}
		if errno != 0 {
			// Not expected on a UDP socket; rather than spin on it, carry on
			// one packet at a time.
			u.log.Warn("UDP recvmmsg failed; reading one packet at a time", "err", errno)
			u.readLoop()
			return
		}
		answers := 0
		for i := range n {
			from, ok := sockaddrToAddrPort(&b.names[i])
			if !ok {
				continue
			}
			out := u.handle(b.in[i][:b.inMsg[i].len], from, b.out[answers][:0], &res, &scrape)
			if len(out) == 0 {
				continue
			}
			b.out[answers] = out
			m := &b.outMsg[answers]
			b.outIov[answers].Base = &out[0]
			b.outIov[answers].SetLen(len(out))
			m.hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
			m.hdr.Namelen = b.inMsg[i].hdr.Namelen
			answers++
		}
		if !u.sendBatch(rc, b, answers) {
			return
		}
	}
}

// sendBatch sends the first n answers, going on after partial sends and
// skipping an answer the kernel refuses (say, to an unreachable address).
func (u *udpFrontend) sendBatch(rc syscall.RawConn, b *udpBatchBufs, n int) bool {
	for sent := 0; sent < n; {
		var errno syscall.Errno
		var r uintptr
		err := rc.Write(func(fd uintptr) bool {
			var e syscall.Errno
			r, _, e = syscall.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.outMsg[sent])), uintptr(n-sent), 0, 0, 0)
			if e == syscall.EAGAIN || e == syscall.EINTR {
				return false
			}
			errno = e
			return true
		})
		if err != nil {
			return !errors.Is(err, net.ErrClosed)
		}
		if errno != 0 || r == 0 {
			u.log.Debug("UDP sendmmsg", "err", errno)
			sent++ // drop the answer that failed
			continue
		}
		sent += int(r)
	}
	return true
}

func sockaddrToAddrPort(sa *syscall.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch sa.Family {
	case syscall.AF_INET6:
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port), true
	case syscall.AF_INET:
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port), true
	}
	return netip.AddrPort{}, false
}
