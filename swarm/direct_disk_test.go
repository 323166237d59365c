//go:build linux

package swarm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/pagecache"
	"github.com/shoal-bt/shoal/pieces"
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

// TestDirectWrites_InterleavedPiecesSkipThePageCache: two peers' pieces
// whose blocks alternate in one disk goroutine's queue (pieces 0 and 2
// share a shard) are each built into runs of their own and written with
// O_DIRECT; built one run at a time, every run was one block long and
// went through the page cache.
func TestDirectWrites_InterleavedPiecesSkipThePageCache(t *testing.T) {
	const pieceLen = 1 << 20
	r := newDiskRig(t, []int{3 * pieceLen}, pieceLen)
	c := r.c
	dir := c.storage.Dir()
	if !pagecache.DirectSupported(dir) {
		t.Skipf("the file system of %s refuses O_DIRECT", dir)
	}
	if c.diskShard(0) != c.diskShard(2) {
		t.Fatal("pieces 0 and 2 no longer share a disk goroutine; pick two that do")
	}
	p, q := &peer{}, &peer{}
	for b := 0; b < pieceLen; b += blockSize {
		for _, i := range []int{0, 2} {
			buf := getBlock()
			off := c.info.PieceOffset(i) + int64(b)
			copy(*buf, r.src[off:off+blockSize])
			from := p
			if i == 2 {
				from = q
			}
			c.diskShard(i) <- diskBlock{p: from, b: pieces.Block{Piece: i, Begin: b, Length: blockSize}, buf: buf}
		}
	}
	timeout := time.After(30 * time.Second)
	for noted := 0; noted < 2*pieceLen/blockSize; {
		select {
		case ev := <-r.notes:
			if ev.diskErr != nil {
				t.Fatal(ev.diskErr)
			}
			noted += len(ev.notes)
		case <-timeout:
			t.Fatal("blocks not written in 30s")
		}
	}
	path := filepath.Join(dir, "payload", "a.bin")
	res, err := pagecache.Resident(path)
	if err != nil {
		t.Fatal(err)
	}
	per := pieceLen / os.Getpagesize()
	for _, i := range []int{0, 2} {
		c.verify(i)
		select {
		case h := <-c.hashed:
			if !h.ok || h.readback {
				t.Fatalf("piece %d: %+v; want it verified from the hash kept as it was written", i, h)
			}
		case <-timeout:
			t.Fatalf("piece %d: no hash in 30s", i)
		}
		if n := pagecache.Count(res[i*per : (i+1)*per]); n > per/4 {
			t.Errorf("piece %d, its blocks interleaved with piece %d's: %d of %d pages in the page cache; want few", i, 2-i, n, per)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got[:pieceLen], r.src[:pieceLen]) || !bytes.Equal(got[2*pieceLen:], r.src[2*pieceLen:]) {
		t.Fatalf("the pieces' bytes differ from the torrent's: %v", err)
	}
}
