package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-bt/shoal/internal/osutil"
)

// claimStateFile picks the routing-table file this process will own: path
// itself when no other shoal holds it, else path with "-2", "-3", ...
// inserted before the extension. A state file carries a node id, and two
// nodes with one id confuse every DHT node that meets them, so concurrent
// processes (two 'shoal get's) must not share one. The lock (flock, held
// until release) goes on a ".lock" file beside the state file, because the
// state file itself is replaced by rename on every save.
func claimStateFile(path string) (string, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", nil, err
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 1; i <= 64; i++ {
		p := path
		if i > 1 {
			p = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		f, err := os.OpenFile(p+".lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return "", nil, err
		}
		if taken, _ := osutil.TryLock(f); !taken {
			f.Close()
			continue
		}
		return p, func() { f.Close() }, nil
	}
	return "", nil, fmt.Errorf("dht state: 64 shoal processes already hold %s and its siblings", path)
}
