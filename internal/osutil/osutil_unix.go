//go:build unix

package osutil

import "syscall"

// OpenFileLimit is the process's soft limit on open files (sockets
// included), or 0 when it cannot be read.
func OpenFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return uint64(lim.Cur)
}

// FreeBytes is the space an unprivileged user may still fill on the file
// system that holds path.
func FreeBytes(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil // Bsize is uint32 on macOS, uint64 on FreeBSD
}
