//go:build linux

package swarm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-bt/shoal/internal/pagecache"
)

// TestDirectWrites_InOrderPiecesSkipThePageCache: a piece hashed as it
// came is never read back, so its blocks are written with O_DIRECT and
// leave the page cache alone; a piece whose blocks came out of order is
// written through the cache, which its read-back then hits; with
// Config.BufferedWrites every piece goes through the cache. The bytes
// are right in every case.
func TestDirectWrites_InOrderPiecesSkipThePageCache(t *testing.T) {
	const pieceLen = 1 << 20
	for _, buffered := range []bool{false, true} {
		r := newDiskRig(t, []int{4 * pieceLen}, pieceLen)
		dir := r.c.storage.Dir()
		if !pagecache.DirectSupported(dir) {
			t.Skipf("the file system of %s refuses O_DIRECT", dir)
		}
		r.c.env.bufferedWrites = buffered // before any block reaches the disk goroutines
		for i := range 4 {
			r.fetch(t, i, i == 1)
		}
		path := filepath.Join(dir, "payload", "a.bin")
		res, err := pagecache.Resident(path) // before reading the file faults its pages in
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, r.src) {
			t.Fatalf("buffered %v: the file's bytes differ from the torrent's: %v", buffered, err)
		}
		per := pieceLen / os.Getpagesize()
		for i := range 4 {
			n := pagecache.Count(res[i*per : (i+1)*per])
			switch {
			case buffered || i == 1:
				if n != per {
					t.Errorf("buffered %v: piece %d (blocks in order %v): %d of %d pages in the page cache; want all",
						buffered, i, i != 1, n, per)
				}
			case n > per/2:
				// Runs shorter than 256 KiB, cut by a pause in the blocks,
				// go through the cache; most must not.
				t.Errorf("piece %d, blocks in order: %d of %d pages in the page cache; want most not", i, n, per)
			}
		}
	}
}
