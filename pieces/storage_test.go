package pieces

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var multiFiles = []testFile{
	{"a.bin", 20000}, {"empty0", 0}, {"sub/b.bin", 16384}, {"sub/deeper/c.bin", 1}, {"sub/empty1", 0}, {"z.bin", 30000}, {"zend", 0},
}

func TestStorage_WriteReadHash(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir := filepath.Join(t.TempDir(), "dl") // does not exist yet
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ReadAt(make([]byte, 10), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read before any write: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("OpenStorage or a read created the directory")
	}
	// Write pieces out of order, in two halves each.
	for _, p := range []int{4, 0, 2, 1, 3} {
		off := info.PieceOffset(p)
		piece := stream[off : off+info.PieceSize(p)]
		half := len(piece) / 2
		if _, err := s.WriteAt(piece[half:], off+int64(half)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteAt(piece[:half], off); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	for p := range info.NumPieces() {
		h, err := s.HashPiece(p)
		if err != nil || h != info.Hashes[p] {
			t.Fatalf("piece %d: %x, %v", p, h, err)
		}
	}
	got := make([]byte, len(stream))
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("ReadAt whole: %v", err)
	}
	if n, err := s.ReadAt(make([]byte, 10), info.Length-5); n != 5 || err != io.EOF {
		t.Errorf("read past end: %d, %v", n, err)
	}
	if _, err := s.WriteAt([]byte{1}, info.Length); err == nil {
		t.Error("write past end accepted")
	}
	for _, f := range info.Files {
		p := filepath.Join(append([]string{dir, "root"}, f.Path...)...)
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, stream[f.Offset:f.Offset+f.Length]) {
			t.Errorf("%s on disk: %v", p, err)
		}
	}
}

func TestStorage_ShortFile(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir := t.TempDir()
	writeTree(t, dir, info, stream)
	if err := os.Truncate(filepath.Join(dir, "root", "z.bin"), 100); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.HashPiece(info.NumPieces() - 1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short file: %v", err)
	}
}

func TestStorage_RefusesSymlinkEscape(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir, outside := t.TempDir(), t.TempDir()
	// dir/root/sub -> outside: writes to sub/b.bin must not land there.
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "root", "sub")); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	off := info.Files[2].Offset
	if _, err := s.WriteAt(stream[off:off+100], off); err == nil {
		t.Fatal("write through a symlink to outside succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote outside: %v", entries)
	}
	// Single-file torrent whose name is a symlink to a file outside.
	one, data := makeInfo(t, "one.bin", 16384, []testFile{{"", 100}})
	target := filepath.Join(outside, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "one.bin")); err != nil {
		t.Fatal(err)
	}
	s1, err := OpenStorage(dir, one)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if _, err := s1.WriteAt(data, 0); err == nil {
		t.Fatal("write through a file symlink to outside succeeded")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("victim changed to %q", b)
	}
}

func TestOpenStorage_RefusesHandBuiltEscape(t *testing.T) {
	for _, info := range []*Info{
		{Name: "..", PieceLength: 16384, Length: 1, Files: []File{{Length: 1}}},
		{Name: "ok", PieceLength: 16384, Length: 1, Files: []File{{Path: []string{"..", "x"}, Length: 1}}},
		{Name: "ok", PieceLength: 16384, Length: 1, Files: []File{{Path: []string{"/abs"}, Length: 1}}},
	} {
		if _, err := OpenStorage(t.TempDir(), info); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("OpenStorage(%q %v) = %v, want ErrUnsafePath", info.Name, info.Files[0].Path, err)
		}
	}
}

func TestStorage_FDCache(t *testing.T) {
	var files []testFile
	for i := range maxOpenFiles * 2 {
		files = append(files, testFile{string(rune('a'+i/26)) + string(rune('a'+i%26)), 300})
	}
	info, stream := makeInfo(t, "many", 16384, files)
	s, err := OpenStorage(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.WriteAt(stream, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(s.open); n > maxOpenFiles {
		t.Errorf("%d files open, cap %d", n, maxOpenFiles)
	}
	got := make([]byte, len(stream))
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("read back: %v", err)
	}
	s.Close()
	if _, err := s.ReadAt(got, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

// TestStorage_Concurrent writes every block from several goroutines while
// others hash pieces, as the engine does; run it under -race.
func TestStorage_Concurrent(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	s, err := OpenStorage(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const block = 4096
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for off := int64(w * block); off < info.Length; off += 4 * block {
				end := min(off+block, info.Length)
				if _, err := s.WriteAt(stream[off:end], off); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for p := range info.NumPieces() {
				s.HashPiece(p) // may see partial data; must not race
			}
		})
	}
	wg.Wait()
	have, err := Check(t.Context(), s, info, 4, nil)
	if err != nil || !have.All() {
		t.Fatalf("after concurrent writes: %d/%d, %v", have.Count(), have.Len(), err)
	}
}

func TestStorage_SparseFullLengthOnFirstWrite(t *testing.T) {
	info, _ := makeInfo(t, "big.bin", 16384, []testFile{{"", 8 << 20}})
	dir := t.TempDir()
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.WriteAt([]byte("x"), 5<<20); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "big.bin"))
	if err != nil || st.Size() != 8<<20 {
		t.Fatalf("after one write: %v, %v", st, err)
	}
}

// TestStorage_PadFiles: BEP 47 pad files (libtorrent names equal-sized ones
// identically) are accepted, read as zeros and never created on disk.
func TestStorage_PadFiles(t *testing.T) {
	stream := make([]byte, 3*16384)
	for i := range stream {
		if i < 10000 || i >= 16384 && i < 26384 || i >= 32768 {
			stream[i] = byte(i*7 + 1)
		}
	}
	var hashes []byte
	for off := 0; off < len(stream); off += 16384 {
		h := sha1.Sum(stream[off : off+16384])
		hashes = append(hashes, h[:]...)
	}
	file := func(n int64, attr string, path ...any) map[string]any {
		m := map[string]any{"length": n, "path": path}
		if attr != "" {
			m["attr"] = attr
		}
		return m
	}
	info, err := ParseInfo(encode(t, map[string]any{
		"name": "padded", "piece length": int64(16384), "pieces": string(hashes),
		"files": []any{
			file(10000, "", "a"), file(6384, "p", ".pad", "6384"),
			file(10000, "", "b"), file(6384, "p", ".pad", "6384"),
			file(16384, "x", "c"),
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !info.Files[1].Padding || info.Files[4].Padding {
		t.Fatalf("padding flags %+v", info.Files)
	}
	dir := t.TempDir()
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.WriteAt(stream, 0); err != nil {
		t.Fatal(err)
	}
	have, err := Check(t.Context(), s, info, 0, nil)
	if err != nil || !have.All() {
		t.Fatalf("Check: %d/%d, %v", have.Count(), have.Len(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "padded", ".pad")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pad files reached the disk: %v", err)
	}
	st, err := Stamp(dir, info)
	if err != nil || st[1].Size != -1 || st[0].Size != 10000 {
		t.Errorf("stamps %+v, %v", st, err)
	}
}

// TestStorage_ReadVerifiedAt: a read for upload of a guarded file fails
// with a *FileChangedError once the file is written to, even in place with
// the same size; a file replaced by rename still reads its old (verified)
// bytes until Reopen; an edited file refuses writes.
func TestStorage_ReadVerifiedAt(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir := t.TempDir()
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.WriteAt(stream, 0); err != nil {
		t.Fatal(err)
	}
	const k = 5 // z.bin
	zOff, zLen := info.Files[k].Offset, info.Files[k].Length
	path := filepath.Join(dir, "root", "z.bin")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	st, err := s.StatFile(k)
	if err != nil || st.Size != zLen || !st.ModTime.Equal(old) {
		t.Fatalf("StatFile = %+v, %v", st, err)
	}
	s.Guard(k, st)
	got := make([]byte, zLen)
	if _, err := s.ReadVerifiedAt(got, zOff); err != nil || !bytes.Equal(got, stream[zOff:zOff+zLen]) {
		t.Fatalf("unchanged file: %v", err)
	}

	// In place, same size: the descriptor's mtime moves.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("edit"), 100)
	f.Close()
	_, err = s.ReadVerifiedAt(got, zOff)
	var fc *FileChangedError
	if !errors.As(err, &fc) || fc.File != k || !errors.Is(err, ErrFileChanged) || !fc.Want.Equal(st) {
		t.Fatalf("after an in-place write: %v, want a FileChangedError for file %d", err, k)
	}
	// A read spanning into the file fails too; one before it does not.
	if _, err := s.ReadVerifiedAt(make([]byte, 10), zOff-5); !errors.Is(err, ErrFileChanged) {
		t.Errorf("read across into the changed file: %v", err)
	}
	if _, err := s.ReadVerifiedAt(make([]byte, 10), 0); err != nil {
		t.Errorf("read of an unguarded file: %v", err)
	}
	if _, err := s.ReadAt(got, zOff); err != nil {
		t.Errorf("plain ReadAt checks nothing, got %v", err)
	}

	// Re-guarded at the new stamp, then replaced by rename: our descriptor
	// keeps the old inode, whose bytes were the ones guarded.
	now, _ := s.StatFile(k)
	s.Rechecked(k, now, false)
	want := make([]byte, zLen)
	s.ReadAt(want, zOff)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, bytes.Repeat([]byte{'x'}, int(zLen)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its own mtime: coarse kernel clocks could give both the same one.
	if err := os.Chtimes(tmp, old, old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadVerifiedAt(got, zOff); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("renamed over: %v; want the old inode's bytes", err)
	}
	if renamed, _ := s.StatFile(k); renamed.Equal(now) {
		t.Fatal("StatFile by path does not see the new file")
	}
	s.Reopen(k)
	if _, err := s.ReadVerifiedAt(got, zOff); !errors.Is(err, ErrFileChanged) {
		t.Fatalf("after Reopen: %v, want ErrFileChanged", err)
	}

	// Marked once; an edited file refuses writes.
	if !s.MarkChanged(k) || s.MarkChanged(k) || !s.Changed(k) {
		t.Error("MarkChanged must report true exactly once")
	}
	if changed, edited := s.Flagged(); len(changed) != 1 || changed[0] != k || len(edited) != 0 {
		t.Errorf("Flagged = %v, %v", changed, edited)
	}
	renamed, _ := s.StatFile(k)
	s.Rechecked(k, renamed, true)
	if s.Changed(k) || !s.Edited(k) {
		t.Error("Rechecked(edited) did not record the edit")
	}
	if _, err := s.WriteAt([]byte("no"), zOff); !errors.Is(err, ErrFileChanged) {
		t.Errorf("write to an edited file: %v, want ErrFileChanged", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, bytes.Repeat([]byte{'x'}, int(zLen))) {
		t.Error("the edited file was written to")
	}
	if _, err := s.ReadVerifiedAt(got, zOff); err != nil {
		t.Errorf("edited file, guarded at its new stamp: %v", err)
	}
}

// BenchmarkStorage_ServeRead compares a seed's 256 KiB upload reads with
// and without the fstat that proves the file unchanged (ReadVerifiedAt).
func BenchmarkStorage_ServeRead(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bench"), 0o755); err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("shoal"), size/5+1)[:size]
	if err := os.WriteFile(filepath.Join(dir, "bench", "data.bin"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	info := &Info{Name: "bench", PieceLength: 1 << 20, Length: size,
		Files: []File{{Path: []string{"data.bin"}, Length: size}}}
	s, err := OpenStorage(dir, info)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st, err := s.StatFile(0)
	if err != nil {
		b.Fatal(err)
	}
	s.Guard(0, st)
	for _, n := range []int{16 << 10, 256 << 10} { // one block; a full serve run
		buf := make([]byte, n)
		for _, bc := range []struct {
			name string
			read func([]byte, int64) (int, error)
		}{{"plain", s.ReadAt}, {"verified", s.ReadVerifiedAt}} {
			b.Run(fmt.Sprintf("%dKiB/%s", n>>10, bc.name), func(b *testing.B) {
				b.SetBytes(int64(len(buf)))
				off := int64(0)
				for b.Loop() {
					if _, err := bc.read(buf, off); err != nil {
						b.Fatal(err)
					}
					off = (off + int64(len(buf))) % size
				}
			})
		}
	}
}

// TestStorage_CloseIdle: closing the idle files keeps the storage usable;
// the next read or write opens them again.
func TestStorage_CloseIdle(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	s, err := OpenStorage(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.WriteAt(stream, 0); err != nil {
		t.Fatal(err)
	}
	if len(s.open) == 0 {
		t.Fatal("a write left no file open; the test proves nothing")
	}
	s.CloseIdle()
	if len(s.open) != 0 {
		t.Fatalf("%d files still open after CloseIdle", len(s.open))
	}
	got := make([]byte, len(stream))
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("read after CloseIdle: %v", err)
	}
	s.CloseIdle()
	if _, err := s.WriteAt(stream[:10], 0); err != nil {
		t.Fatalf("write after CloseIdle: %v", err)
	}
}
