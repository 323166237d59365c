package swarm

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// diskRig is a content with its disk goroutines and hashing pool running
// and no torrent: the test plays the torrent's loop.
type diskRig struct {
	c     *content
	notes chan peerEvent
	src   []byte // the torrent's byte stream
}

func newDiskRig(t *testing.T, sizes []int, pieceLen int64) *diskRig {
	t.Helper()
	return newDiskRigFormat(t, sizes, pieceLen, pieces.FormatV1)
}

// newDiskRigFormat is newDiskRig for a torrent of the given format. The
// rig copies blocks from the files laid end to end, so a v2 one takes a
// single file (v2 aligns each file to a piece).
func newDiskRigFormat(t *testing.T, sizes []int, pieceLen int64, format pieces.Format) *diskRig {
	t.Helper()
	srcDir, dst := t.TempDir(), t.TempDir()
	root := filepath.Join(srcDir, "payload")
	rng := rand.New(rand.NewPCG(uint64(len(sizes)), uint64(pieceLen)))
	var stream []byte
	for k, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		stream = append(stream, b...)
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, string(rune('a'+k))+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tor, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: pieceLen, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pieces.OpenStorage(dst, tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := newContent(contentEnv{log: slog.New(slog.DiscardHandler), hooks: &testHooks{}, hashWorkers: 2}, tor, st)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	r := &diskRig{c: c, notes: make(chan peerEvent, 1024), src: stream}
	var wasted atomic.Int64
	c.startWorkers(ctx, &wg, r.notes, &wasted)
	t.Cleanup(func() { cancel(); wg.Wait() })
	return r
}

// fetch hands piece i's blocks to the disk goroutines (in reverse order
// when reversed), waits for them to be on disk, asks for the hash and
// applies the result as handleHashed does.
func (r *diskRig) fetch(t *testing.T, i int, reversed bool) hashResult {
	t.Helper()
	res := r.fetchResult(t, i, reversed)
	if !res.ok || res.err != nil {
		t.Fatalf("piece %d failed its hash: %+v", i, res)
	}
	r.c.pieceVerified(i, res.digest)
	return res
}

// fetchResult is fetch without judging or applying the result.
func (r *diskRig) fetchResult(t *testing.T, i int, reversed bool) hashResult {
	t.Helper()
	c, p := r.c, &peer{}
	size := int(c.info.PieceSize(i))
	var blocks []pieces.Block
	for b := 0; b < size; b += blockSize {
		blocks = append(blocks, pieces.Block{Piece: i, Begin: b, Length: min(blockSize, size-b)})
	}
	if reversed {
		for l, h := 0, len(blocks)-1; l < h; l, h = l+1, h-1 {
			blocks[l], blocks[h] = blocks[h], blocks[l]
		}
	}
	for _, b := range blocks {
		buf := getBlock()
		off := c.info.PieceOffset(i) + int64(b.Begin)
		copy(*buf, r.src[off:off+int64(b.Length)])
		c.diskShard(i) <- diskBlock{p: p, b: b, buf: buf}
	}
	timeout := time.After(30 * time.Second)
	for noted := 0; noted < len(blocks); {
		select {
		case ev := <-r.notes:
			if ev.diskErr != nil {
				t.Fatalf("piece %d: %v", i, ev.diskErr)
			}
			noted += len(ev.notes)
		case <-timeout:
			t.Fatalf("piece %d: blocks not written in 30s", i)
		}
	}
	c.verify(i)
	select {
	case res := <-c.hashed:
		return res
	case <-timeout:
		t.Fatalf("piece %d: no hash in 30s", i)
	}
	return hashResult{}
}

// TestBlake3_WritePathDigestIsTheDiskDigest: pieces fetched in random
// order, some with their blocks out of order (hashed by reading them
// back), give every file the digest its bytes on disk have, without the
// BLAKE3 pass reading a byte; a digest that does not match is caught the
// same way; and after a restart (the digests of what was fetched before
// are gone) the pass reads exactly the pieces not hashed since.
func TestBlake3_WritePathDigestIsTheDiskDigest(t *testing.T) {
	// Files not on 1 KiB boundaries, one within a piece, one spanning many.
	r := newDiskRig(t, []int{200_001, 3, 1<<20 + 5, 70_001, 1000}, 32<<10)
	c := r.c
	n := c.info.NumPieces()
	rng := rand.New(rand.NewPCG(3, 4))
	readback := 0
	for k, i := range rng.Perm(n) {
		if res := r.fetch(t, i, k%3 == 0); res.readback {
			readback++
		}
		if c.digests[i] == nil {
			t.Fatalf("piece %d verified without its BLAKE3 part", i)
		}
	}
	if readback == 0 {
		t.Fatal("no piece was read back: the out-of-order path went untested")
	}
	ctx := t.Context()
	res, err := c.verifyBlake3(ctx, nil, c.digests)
	if err != nil || len(res) != len(c.info.Files) {
		t.Fatalf("%d results, %v", len(res), err)
	}
	for _, fr := range res {
		if !fr.OK || fr.Read != 0 {
			t.Errorf("file %s: ok %v, read %d bytes, %v", fr.Path, fr.OK, fr.Read, fr.Err)
		}
		disk, err := pieces.VerifyFileBlake3(ctx, c.storage, c.info, fr.Index)
		if err != nil || !disk.OK {
			t.Errorf("file %s on disk: %+v %v", fr.Path, disk, err)
		}
	}

	// A wrong digest is a mismatch, still without reading.
	want := c.info.Files[2].Blake3
	c.info.Files[2].Blake3 = bytes.Clone(want)
	c.info.Files[2].Blake3[0] ^= 1
	res, err = c.verifyBlake3(ctx, nil, c.digests)
	c.info.Files[2].Blake3 = want
	if err != nil || res[2].OK || res[2].Read != 0 || !res[0].OK {
		t.Fatalf("with a wrong digest for file 2: %+v, %v", res, err)
	}

	// A restart keeps no digests: the pieces verified before it are read.
	known := make(map[int]*pieces.PieceDigest)
	var before int64
	for i := range n {
		if i%2 == 0 {
			known[i] = c.digests[i]
		} else {
			before += c.info.PieceSize(i)
		}
	}
	res, err = c.verifyBlake3(ctx, nil, known)
	if err != nil {
		t.Fatal(err)
	}
	var read int64
	for _, fr := range res {
		if !fr.OK {
			t.Errorf("resumed, file %s: %v", fr.Path, fr.Err)
		}
		read += fr.Read
	}
	if read != before {
		t.Errorf("resumed: read %d bytes, want the %d of the pieces hashed before the restart", read, before)
	}

	// A withdrawn piece's part goes: its file is read again.
	c.clearHave(1)
	c.setHave(1)
	res, err = c.verifyBlake3(ctx, nil, c.digests)
	if err != nil || !res[0].OK || res[0].Read != c.info.PieceSize(1) {
		t.Fatalf("after piece 1 was withdrawn: %+v, %v", res[0], err)
	}
}

// TestBlake3_PieceDigestsBounded: past maxPieceDigests, pieces keep no
// BLAKE3 part and are read back for the check, which still passes.
func TestBlake3_PieceDigestsBounded(t *testing.T) {
	defer func(n int) { maxPieceDigests = n }(maxPieceDigests)
	maxPieceDigests = 3
	r := newDiskRig(t, []int{200_001, 70_001}, 32<<10)
	c := r.c
	for i := range c.info.NumPieces() {
		r.fetch(t, i, false)
	}
	if len(c.digests) != 3 {
		t.Fatalf("%d pieces kept their BLAKE3 part; want 3", len(c.digests))
	}
	var kept int64
	for i := range c.digests {
		kept += c.info.PieceSize(i)
	}
	res, err := c.verifyBlake3(t.Context(), nil, c.digests)
	if err != nil {
		t.Fatal(err)
	}
	var read int64
	for _, fr := range res {
		if !fr.OK {
			t.Errorf("file %s: %v", fr.Path, fr.Err)
		}
		read += fr.Read
	}
	if read != c.info.Length-kept {
		t.Errorf("read %d bytes; want the %d not kept", read, c.info.Length-kept)
	}
}
