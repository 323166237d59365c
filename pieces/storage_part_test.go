package pieces

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Tiny files in 16 KiB pieces: every piece but the whole ones inside
// big.bin is shared by two or more files.
var partFiles = []testFile{
	{"a.txt", 5000}, {"skip1.txt", 7000}, {"b.txt", 9000}, {"big.bin", 40000}, {"skip2.txt", 3}, {"empty", 0}, {"c.txt", 6000},
}

func openParted(t *testing.T, dir string, info *Info, skip ...int) *Storage {
	t.Helper()
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetPartFile(".shoal-test.parts"); err != nil {
		t.Fatal(err)
	}
	for _, k := range skip {
		if err := s.SetSkipped(k, true); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func fileBytes(info *Info, stream []byte, k int) []byte {
	f := info.Files[k]
	return stream[f.Offset : f.Offset+f.Length]
}

// TestStorage_PartFile writes every piece that touches a wanted file with
// two files skipped: the skipped ones never appear, every piece still
// hashes right (their bytes come from the part file), and selecting one
// later moves its bytes into place.
func TestStorage_PartFile(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, partFiles)
	dir := t.TempDir()
	s := openParted(t, dir, info, 1, 4, 5) // skip1.txt, skip2.txt, empty
	for p := range info.NumPieces() {
		off := info.PieceOffset(p)
		if _, err := s.WriteBuffersAt([][]byte{stream[off : off+100], stream[off+100 : off+info.PieceSize(p)]}, off); err != nil {
			t.Fatalf("piece %d: %v", p, err)
		}
	}
	for p := range info.NumPieces() {
		if h, err := s.HashPiece(p); err != nil || h != info.Hashes[p] {
			t.Fatalf("piece %d: %x, %v", p, h, err)
		}
	}
	for _, name := range []string{"skip1.txt", "skip2.txt", "empty"} {
		if _, err := os.Lstat(filepath.Join(dir, "root", name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("skipped %s is on disk: %v", name, err)
		}
	}
	for _, k := range []int{0, 2, 3, 6} {
		got, err := os.ReadFile(filepath.Join(dir, "root", info.Files[k].Path[0]))
		if err != nil || !bytes.Equal(got, fileBytes(info, stream, k)) {
			t.Errorf("wanted file %d: %d bytes, %v", k, len(got), err)
		}
	}
	part := filepath.Join(dir, ".shoal-test.parts")
	if _, err := os.Stat(part); err != nil {
		t.Fatalf("part file: %v", err)
	}

	// Wanted again: the file appears with its bytes, and the part file
	// stays for the other parted ones.
	if err := s.SetSkipped(1, false); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "root", "skip1.txt")); err != nil || !bytes.Equal(got, fileBytes(info, stream, 1)) {
		t.Fatalf("skip1.txt after selecting it: %d bytes, %v", len(got), err)
	}
	if _, err := os.Stat(part); err != nil {
		t.Fatalf("part file gone while skip2.txt still needs it: %v", err)
	}
	// A restart: a new Storage parts skip2.txt again and reads it back.
	s.Close()
	s2 := openParted(t, dir, info, 4, 5)
	for p := range info.NumPieces() {
		if h, err := s2.HashPiece(p); err != nil || h != info.Hashes[p] {
			t.Fatalf("after reopening, piece %d: %x, %v", p, h, err)
		}
	}
	for _, k := range []int{4, 5} {
		if err := s2.SetSkipped(k, false); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, "root", "skip2.txt")); err != nil || !bytes.Equal(got, fileBytes(info, stream, 4)) {
		t.Fatalf("skip2.txt after selecting it: %q, %v", got, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "root", "empty")); err != nil || st.Size() != 0 {
		t.Fatalf("empty after selecting it: %v", err)
	}
	if _, err := os.Stat(part); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("part file left once nothing is parted: %v", err)
	}
}

// TestStorage_PartFileOnlyShared: a piece wholly inside a skipped file is
// never written, to the part file or anywhere.
func TestStorage_PartFileOnlyShared(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, partFiles)
	dir := t.TempDir()
	s := openParted(t, dir, info, 3) // big.bin, which has a piece of its own
	whole := -1
	for p := range info.NumPieces() {
		if first, end := info.FilesOf(p); first == 3 && end == 4 {
			whole = p
		}
	}
	if whole < 0 {
		t.Fatal("fixture has no piece inside big.bin")
	}
	off := info.PieceOffset(whole)
	if _, err := s.WriteAt(stream[off:off+16384], off); !errors.Is(err, ErrNotShared) {
		t.Fatalf("write of piece %d inside skipped big.bin: %v, want ErrNotShared", whole, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "root", "big.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("big.bin created: %v", err)
	}
}

// TestStorage_SkippedExisting: a skipped file already on disk is written in
// place, never parted.
func TestStorage_SkippedExisting(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, partFiles)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root", "skip1.txt"), make([]byte, 7000), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openParted(t, dir, info, 1)
	if s.Parted(1) {
		t.Fatal("an existing skipped file was parted")
	}
	if _, err := s.WriteAt(stream[:16384], 0); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "root", "skip1.txt"))
	if want := fileBytes(info, stream, 1); !bytes.Equal(got, want) {
		t.Fatal("existing skipped file not written in place")
	}
	if _, err := os.Stat(filepath.Join(dir, ".shoal-test.parts")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("part file made for nothing: %v", err)
	}
}
