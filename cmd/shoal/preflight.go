package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// checkOutput looks at the download folder before any network work, so that
// what would stop the download later (a file where a folder must go, a
// symlink leading out, a folder shoal cannot write to) is said at once,
// with full paths. info is nil for a magnet link whose metadata is not in
// yet; then only out itself and the display name are checked.
func checkOutput(out string, info *pieces.Info, dn string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	real, err := existingDir(abs)
	if err != nil {
		return err
	}
	c := outCheck{out: abs, real: real, checked: map[string]bool{}}
	switch {
	case info != nil:
		for _, f := range info.Files {
			if f.Padding {
				continue
			}
			if err := c.path(append([]string{info.Name}, f.Path...)); err != nil {
				return err
			}
		}
	case dn != "" && filepath.IsLocal(dn) && filepath.Base(dn) == dn:
		if link := linkOut(abs, real, filepath.Join(abs, dn)); link != nil {
			return usageErrorf("%w", link)
		}
	}
	return c.writable(abs)
}

// existingDir makes sure out is, or can become, a folder, and returns the
// path of it with symlinks resolved (or of its nearest existing parent).
func existingDir(abs string) (string, error) {
	fi, err := os.Stat(abs)
	switch {
	case err == nil && !fi.IsDir():
		return "", withCode(exitConflict, fmt.Errorf("-o %s is a file, not a folder: pass a folder to download into", abs))
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", err
		}
		return existingDir(parent)
	case err != nil:
		return "", cannotWrite(abs, err)
	}
	return filepath.EvalSymlinks(abs)
}

type outCheck struct {
	out, real string
	checked   map[string]bool // folders already seen fine
}

// path checks one file of the torrent: every folder on its way must be a
// folder (or not exist yet), no symlink may lead out of the download
// folder, and the file itself must be a regular file if it exists.
func (c *outCheck) path(comps []string) error {
	p := c.out
	for i, comp := range comps {
		p = filepath.Join(p, comp)
		last := i == len(comps)-1
		if !last && c.checked[p] {
			continue
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return c.writable(filepath.Dir(p))
		}
		if err != nil {
			return cannotWrite(p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link := linkOut(c.out, c.real, p); link != nil {
				return usageErrorf("%w", link)
			}
			if fi, err = os.Stat(p); err != nil {
				return cannotWrite(p, err)
			}
		}
		switch {
		case !last && !fi.IsDir():
			return withCode(exitConflict, fmt.Errorf("%s is a file, but the torrent needs a folder there: move it away, or download elsewhere with -o", p))
		case last && fi.IsDir():
			return withCode(exitConflict, fmt.Errorf("%s is a folder, but the torrent has a file there: move it away, or download elsewhere with -o", p))
		case last && !fi.Mode().IsRegular():
			return withCode(exitConflict, fmt.Errorf("%s is not a regular file (%v): move it away, or download elsewhere with -o", p, fi.Mode().Type()))
		case last:
			if err := canAccess(p, false); err != nil {
				return cannotWrite(p, err)
			}
		default:
			c.checked[p] = true
		}
	}
	return nil
}

// writable checks that files can be created in dir, or in its nearest
// existing parent when dir does not exist yet.
func (c *outCheck) writable(dir string) error {
	for {
		if c.checked["w:"+dir] {
			return nil
		}
		err := canAccess(dir, true)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(dir) != dir {
			dir = filepath.Dir(dir)
			continue
		}
		if err != nil {
			return cannotWrite(dir, err)
		}
		c.checked["w:"+dir] = true
		return nil
	}
}

// linkOut returns the error for p when it is a symlink leading out of the
// download folder (whose resolved path is real), else nil.
func linkOut(out, real, p string) error {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	to, err := filepath.EvalSymlinks(p)
	if rel, rerr := filepath.Rel(real, to); err == nil && rerr == nil && filepath.IsLocal(rel) {
		return nil
	}
	target, _ := os.Readlink(p)
	return &pieces.SymlinkError{Link: p, Target: target}
}

// cannotWrite is a folder or file shoal may not write to.
func cannotWrite(path string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno // "permission denied", not "access /x/y: permission denied"
	}
	return withCode(exitCannotWrite, fmt.Errorf("cannot write to %s: %w", path, err))
}

// infoOfSnapshot is what checkOutput needs of a torrent, from a snapshot:
// its name and its files' paths.
func infoOfSnapshot(t *swarm.TorrentSnapshot) *pieces.Info {
	info := &pieces.Info{Name: t.Name}
	for _, f := range t.Files {
		var comps []string
		if p := strings.TrimPrefix(f.Path, t.Name+"/"); f.Path != t.Name && p != "" {
			comps = strings.Split(p, "/")
		}
		info.Files = append(info.Files, pieces.File{Path: comps, Length: f.SizeBytes})
	}
	return info
}
