//go:build linux

// Package pagecache lets tests see which pages of a file the kernel holds
// in its page cache, to check which writes went past it (O_DIRECT).
package pagecache

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Resident reports, per page of the file at path, whether it is in the
// page cache. Mapping the file does not fault its pages in; mincore only
// looks.
func Resident(path string) ([]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil, err
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		return nil, errno
	}
	res := make([]bool, len(vec))
	for i, v := range vec {
		res[i] = v&1 != 0
	}
	return res, nil
}

// DirectSupported reports whether the file system holding dir takes
// O_DIRECT opens, which tmpfs before Linux 6.6 refuses with EINVAL.
func DirectSupported(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, ".direct-probe"), os.O_CREATE|os.O_WRONLY|syscall.O_DIRECT, 0o644)
	if err == nil {
		f.Close()
		os.Remove(f.Name())
		return true
	}
	return !errors.Is(err, syscall.EINVAL)
}

// Count returns how many of pages are resident.
func Count(pages []bool) int {
	n := 0
	for _, r := range pages {
		if r {
			n++
		}
	}
	return n
}

// Drop writes back and evicts the file's pages from the page cache
// (fadvise DONTNEED after fsync), so a test starts from none.
func Drop(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
