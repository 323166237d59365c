//go:build linux

package pieces

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/shoal-bt/shoal/internal/pagecache"
)

// TestWriteBuffersDirect: aligned runs inside one file skip the page cache;
// runs that cross a file boundary, start at an unaligned file offset, end
// short of a page, or come in unaligned memory go through it; every byte
// and piece is right either way.
func TestWriteBuffersDirect(t *testing.T) {
	const aLen = 1<<20 + 5000
	info, stream := makeInfo(t, "root", 16384, []testFile{{"a.bin", aLen}, {"b.bin", 300_000}})
	s, dir := directStorage(t, info, stream)
	const run = 64 << 10
	for off := 0; off < len(stream); off += run {
		end := min(off+run, len(stream))
		var bufs [][]byte
		for at := off; at < end; at += 16384 {
			b := AlignedBlock(min(16384, end-at))
			copy(b, stream[at:])
			bufs = append(bufs, b)
		}
		if n, err := s.WriteBuffersDirect(bufs, int64(off)); err != nil || n != end-off {
			t.Fatalf("WriteBuffersDirect at %d: %d, %v", off, n, err)
		}
	}
	got := make([]byte, len(stream))
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("read back differs: %v", err)
	}
	for p := range info.NumPieces() {
		if h, err := s.HashPiece(p); err != nil || h != info.Hashes[p] {
			t.Fatalf("piece %d: %v", p, err)
		}
	}
	// The read above faulted every page in; write again and look before
	// reading.
	s.CloseIdle()
	for _, path := range []string{"a.bin", "b.bin"} {
		dropCache(t, filepath.Join(dir, "root", path))
	}
	for off := 0; off < 1<<20; off += run {
		b := AlignedBlock(run)
		copy(b, stream[off:])
		if _, err := s.WriteBuffersDirect([][]byte{b}, int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	unaligned := make([]byte, run+1)[1:]
	copy(unaligned, stream[1<<20-run:])
	if _, err := s.WriteBuffersDirect([][]byte{unaligned}, 1<<20-run); err != nil {
		t.Fatal(err)
	}
	tail := AlignedBlock(run)
	copy(tail, stream[aLen+100:])
	if _, err := s.WriteBuffersDirect([][]byte{tail}, aLen+100); err != nil { // 100 bytes into b.bin

		t.Fatal(err)
	}
	a := resident(t, filepath.Join(dir, "root", "a.bin"))
	if n := pagecache.Count(a[:(1<<20-run)/4096]); n != 0 {
		t.Errorf("%d pages of a.bin's aligned direct writes are in the page cache; want none", n)
	}
	if n := pagecache.Count(a[(1<<20-run)/4096 : 1<<20/4096]); n != run/4096 {
		t.Errorf("%d of a.bin's %d pages written from unaligned memory are in the page cache; want all", n, run/4096)
	}
	if n := pagecache.Count(resident(t, filepath.Join(dir, "root", "b.bin"))[:run/4096]); n != run/4096 {
		t.Errorf("%d of b.bin's %d pages written at an unaligned file offset are in the page cache; want all", n, run/4096)
	}
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("read back after the second pass differs: %v", err)
	}
}

// directStorage opens storage for info in a new folder, and skips the
// test where its file system refuses O_DIRECT. Its first byte is written.
func directStorage(t *testing.T, info *Info, stream []byte) (*Storage, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dl")
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.WriteAt(stream[:1], 0); err != nil { // makes dir, to probe it
		t.Fatal(err)
	}
	if !pagecache.DirectSupported(dir) {
		t.Skipf("the file system of %s refuses O_DIRECT", dir)
	}
	return s, dir
}

func resident(t *testing.T, path string) []bool {
	t.Helper()
	r, err := pagecache.Resident(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dropCache(t *testing.T, path string) {
	t.Helper()
	if err := pagecache.Drop(path); err != nil {
		t.Fatal(err)
	}
	if n := pagecache.Count(resident(t, path)); n != 0 {
		t.Skipf("%s keeps %d pages in the page cache after fadvise DONTNEED", path, n)
	}
}

// TestWriteBuffersDirect_Refused: where the file system refuses O_DIRECT
// (tmpfs before Linux 6.6 says EINVAL at open), aligned runs go through
// the page cache, every byte lands, and the storage stops asking.
func TestWriteBuffersDirect_Refused(t *testing.T) {
	opened := 0
	openDirect = func(*os.File) (*os.File, error) { opened++; return nil, syscall.EINVAL }
	t.Cleanup(func() { openDirect = reopenDirect })
	info, stream := makeInfo(t, "root", 16384, []testFile{{"a.bin", 1 << 20}})
	dir := filepath.Join(t.TempDir(), "dl")
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const run = 256 << 10
	for off := 0; off < len(stream); off += run {
		b := AlignedBlock(run)
		copy(b, stream[off:])
		if n, err := s.WriteBuffersDirect([][]byte{b}, int64(off)); err != nil || n != run {
			t.Fatalf("WriteBuffersDirect at %d: %d, %v", off, n, err)
		}
	}
	if opened != 1 {
		t.Errorf("O_DIRECT asked for %d times; want once, then never again", opened)
	}
	if n := pagecache.Count(resident(t, filepath.Join(dir, "root", "a.bin"))); n != len(stream)/4096 {
		t.Errorf("%d of %d pages in the page cache; want all, written through it", n, len(stream)/4096)
	}
	got := make([]byte, len(stream))
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("read back differs: %v", err)
	}
}
