package pieces

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

const haveWritev = true

// writev writes bufs at offset at of f with pwritev, resuming after a
// short write.
func writev(f *os.File, bufs [][]byte, at int64) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	iov := make([]syscall.Iovec, 0, len(bufs))
	for _, b := range bufs {
		if len(b) > 0 {
			v := syscall.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
	}
	done := 0
	for len(iov) > 0 {
		var n uintptr
		var errno syscall.Errno
		if err := rc.Write(func(fd uintptr) bool {
			pos := uint64(at) + uint64(done)
			// pos_l, pos_h: the kernel joins them; on 64-bit pos_h is unused.
			n, _, errno = syscall.Syscall6(syscall.SYS_PWRITEV, fd, uintptr(unsafe.Pointer(&iov[0])),
				uintptr(len(iov)), uintptr(pos), uintptr(pos>>32), 0)
			return errno != syscall.EAGAIN
		}); err != nil {
			return done, err
		}
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			return done, &os.PathError{Op: "pwritev", Path: f.Name(), Err: errno}
		case n == 0:
			return done, io.ErrShortWrite
		}
		done += int(n)
		for len(iov) > 0 && n >= uintptr(iov[0].Len) {
			n -= uintptr(iov[0].Len)
			iov = iov[1:]
		}
		if len(iov) > 0 && n > 0 {
			iov[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(iov[0].Base), n))
			iov[0].SetLen(int(uint64(iov[0].Len) - uint64(n)))
		}
	}
	return done, nil
}
