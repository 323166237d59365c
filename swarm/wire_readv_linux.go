package swarm

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// scatterReader returns a readv on src's socket that waits in the
// runtime's poller (and so keeps src's read deadline), or nil when src
// is not a plain socket (MSE streams, pipes).
func scatterReader(src io.Reader) func([][]byte) (int, error) {
	sc, ok := src.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var (
		iov  [][]byte
		n    int
		rerr error
	)
	read := func(fd uintptr) bool {
		for {
			n, rerr = unix.Readv(int(fd), iov)
			if rerr != unix.EINTR {
				return rerr != unix.EAGAIN
			}
		}
	}
	return func(v [][]byte) (int, error) {
		iov = v
		err := rc.Read(read)
		iov = nil
		if err != nil {
			return 0, err
		}
		if rerr != nil {
			return 0, &os.SyscallError{Syscall: "readv", Err: rerr}
		}
		return n, nil
	}
}
