package daemon

import (
	"errors"
	"os"
	"path/filepath"
)

// reuseFolders checks an add's --reuse folders: absolute paths of
// existing folders and, for HTTP clients, under allowed_dirs with links
// resolved; otherwise a remote client could have the daemon read any file
// whose hash it knows, and copy it into a folder it can read.
func (d *Daemon) reuseFolders(dirs []string, trust Trust) ([]string, error) {
	var out []string
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			return nil, errorf(KindBadRequest, "reuse folder %s: the daemon needs an absolute path", dir)
		}
		real, err := filepath.EvalSymlinks(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, errorf(KindNotFound, "reuse folder %s: no such folder", dir)
		}
		if err != nil {
			return nil, errorf(KindBadRequest, "reuse folder %s: %v", dir, err)
		}
		if trust == Remote && !d.allowed(real) {
			return nil, d.notAllowed(dir, real)
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			return nil, errorf(KindBadRequest, "reuse folder %s: not a folder", dir)
		}
		out = append(out, real)
	}
	return out, nil
}
