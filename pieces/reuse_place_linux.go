package pieces

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// place makes name in the folder pd from in: a reflink (FICLONE), else a
// hard link when link, else a copy; the first two into a hidden temporary
// name renamed with RENAME_NOREPLACE, the link straight to name (linkat
// never replaces either).
func place(ctx context.Context, pd *os.File, name string, in *os.File, length int64, link bool) (PlaceMethod, error) {
	dfd := int(pd.Fd())
	tmp := tempName()
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return 0, err
	}
	out := os.NewFile(uintptr(fd), tmp)
	done := false
	defer func() {
		out.Close()
		if !done {
			unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	method := PlacedReflink
	if err := unix.IoctlFileClone(fd, int(in.Fd())); err != nil {
		if link {
			// The exact file opened (not whatever its path names now)
			// gets the second name, through /proc; the path is the
			// fallback where /proc is not mounted.
			err := unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", in.Fd()), dfd, name, unix.AT_SYMLINK_FOLLOW)
			if errors.Is(err, unix.ENOENT) {
				err = unix.Linkat(unix.AT_FDCWD, in.Name(), dfd, name, 0)
			}
			if err == nil {
				return PlacedLink, nil
			}
			if errors.Is(err, unix.EEXIST) {
				return 0, os.ErrExist
			}
			// Another file system, or links refused: copy.
		}
		method = PlacedCopy
		if err := copyInto(ctx, out, in, length); err != nil {
			return 0, err
		}
	}
	if err := unix.Renameat2(dfd, tmp, dfd, name, unix.RENAME_NOREPLACE); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return 0, os.ErrExist
		}
		return 0, err
	}
	done = true
	return method, nil
}
