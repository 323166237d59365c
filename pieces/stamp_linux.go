package pieces

import (
	"os"
	"syscall"
)

// fdOf is the descriptor fstatNs uses; the handle's refcount keeps it open.
func fdOf(f *os.File) int { return int(f.Fd()) }

// fstatNs returns an open file's size and mtime in nanoseconds without
// allocating: it runs for every run of blocks served.
func fstatNs(h *handle) (size, mtimeNs int64, err error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(h.fd, &st); err != nil {
		return 0, 0, err
	}
	return st.Size, st.Mtim.Nano(), nil
}
