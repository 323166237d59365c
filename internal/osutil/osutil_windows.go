package osutil

import "golang.org/x/sys/windows"

// OpenFileLimit: Windows sets no per-process limit on sockets; this is
// what its defaults let a process hold comfortably.
func OpenFileLimit() uint64 { return 8192 }

// FreeBytes is the space the user may still fill on the volume that
// holds path.
func FreeBytes(path string) (int64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var avail uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, nil, nil); err != nil {
		return 0, err
	}
	return int64(avail), nil
}
