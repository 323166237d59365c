package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shoal-bt/shoal/internal/osutil"
)

// LockedError says another process holds the state dir.
type LockedError struct {
	Path string
	PID  int // 0 when the lock file names none
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("another shoal daemon holds %s", e.Path)
	}
	return fmt.Sprintf("another shoal daemon (PID %d) holds %s", e.PID, e.Path)
}

// Lock claims stateDir for one daemon: an exclusive flock on daemon.lock,
// which then holds this process's PID. The kernel drops the lock when the
// process dies (kill -9 included), so a stale file never blocks a restart.
// The returned func releases it.
func Lock(stateDir string) (release func(), err error) {
	path := filepath.Join(stateDir, "daemon.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	if taken, err := osutil.TryLock(f); !taken {
		defer f.Close()
		if err == nil {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
			return nil, &LockedError{Path: path, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		f.Close()
	}, nil
}
