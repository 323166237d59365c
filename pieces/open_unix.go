//go:build unix

package pieces

import (
	"os"
	"syscall"
)

// openRead opens path for reading, through a symbolic link only if
// follow.
func openRead(path string, follow bool) (*os.File, error) {
	flags := os.O_RDONLY
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	return os.OpenFile(path, flags, 0)
}
