package pieces

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// SymlinkError is a write refused because a path of the torrent passes
// through a symlink that leads out of the download directory. Reads follow
// such links (the user placed them to share what they point at); writes
// never do. It matches ErrUnsafePath with errors.Is.
type SymlinkError struct {
	Link   string // the symlink, as a full path
	Target string // what it points to, as readlink says
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s is a symlink to %s, outside the download folder; shoal never writes through such a link: "+
		"remove it, or download somewhere else with -o", e.Link, e.Target)
}

// Is makes errors.Is(err, ErrUnsafePath) true.
func (e *SymlinkError) Is(target error) bool { return target == ErrUnsafePath }

// escapingLink returns the first component of rel (slash-separated, under
// dir) that is a symlink leading outside dir, or nil if there is none.
func escapingLink(dir, rel string) *SymlinkError {
	base, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		return nil
	}
	p := base
	for _, c := range strings.Split(rel, "/") {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, _ := os.Readlink(p)
		to, err := filepath.EvalSymlinks(p)
		if err != nil || !inside(real, to) {
			return &SymlinkError{Link: p, Target: target}
		}
	}
	return nil
}

// inside reports whether path is dir or lies under it (both resolved).
func inside(dir, path string) bool {
	r, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsLocal(r)
}

// statFollow stats file rel through the root and, when the root refuses
// because a symlink leads outside, through the link: reading what a user
// linked into a shared folder is what they asked for.
func (s *Storage) statFollow(root *os.Root, rel string) (fs.FileInfo, error) {
	st, err := root.Stat(rel)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return st, err
	}
	if escapingLink(s.dir, rel) == nil {
		return nil, err
	}
	return os.Stat(filepath.Join(s.dir, filepath.FromSlash(rel)))
}

// openFollow opens file rel for reading, following a symlink that leads
// outside the root as statFollow does.
func (s *Storage) openFollow(rel string) (*os.File, error) {
	f, err := s.root.OpenFile(rel, os.O_RDONLY, 0)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return f, err
	}
	if escapingLink(s.dir, rel) == nil {
		return nil, err
	}
	return os.Open(filepath.Join(s.dir, filepath.FromSlash(rel)))
}
