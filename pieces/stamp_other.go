//go:build !linux

package pieces

import "os"

func fdOf(*os.File) int { return -1 }

func fstatNs(h *handle) (size, mtimeNs int64, err error) {
	st, err := h.f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return st.Size(), st.ModTime().UnixNano(), nil
}
