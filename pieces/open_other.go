//go:build !unix

package pieces

import (
	"fmt"
	"os"
)

// openRead opens path for reading, through a symbolic link only if
// follow. Without O_NOFOLLOW the link is looked for first, which a link
// made in between escapes; the file is still checked to be a regular one
// of the wanted length by its callers.
func openRead(path string, follow bool) (*os.File, error) {
	if !follow {
		if fi, err := os.Lstat(path); err != nil {
			return nil, err
		} else if fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s: a symbolic link, not followed", path)
		}
	}
	return os.Open(path)
}
