package pieces

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheck_MissingAndPartial(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir := t.TempDir()
	s, err := OpenStorage(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var calls int
	have, err := Check(t.Context(), s, info, 3, func(done, total int) {
		calls++
		if total != info.NumPieces() || done != calls {
			t.Errorf("progress(%d, %d) on call %d", done, total, calls)
		}
	})
	if err != nil || have.Count() != 0 || calls != info.NumPieces() {
		t.Fatalf("nothing on disk: %d pieces, %d calls, %v", have.Count(), calls, err)
	}

	// Everything but z.bin (the last 30000 bytes: pieces 2.. are touched).
	writeTree(t, dir, info, stream)
	os.Remove(filepath.Join(dir, "root", "z.bin"))
	have, err = Check(t.Context(), s, info, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	zFirst, zEnd := info.PiecesOf(5)
	for p := range info.NumPieces() {
		if want := p < zFirst || p >= zEnd; have.Has(p) != want {
			t.Errorf("piece %d: have %v, want %v", p, have.Has(p), want)
		}
	}
	res, err := VerifyBlake3(t.Context(), s, info)
	if err != nil || len(res) != 0 {
		t.Errorf("files without digests were verified: %+v, %v", res, err)
	}

	// A directory where a file should be counts as missing, not an error.
	if err := os.Mkdir(filepath.Join(dir, "root", "z.bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(t.Context(), s, info, 0, nil); err != nil {
		t.Errorf("directory in place of a file: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Check(ctx, s, info, 0, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Check: %v", err)
	}
}

func TestVerifyBlake3_Missing(t *testing.T) {
	root := writeFolder(t, "p", []testFile{{"a", 1000}, {"b/c", 0}, {"d", 5}})
	tor, err := Create(t.Context(), root, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "b", "c"))
	os.Truncate(filepath.Join(root, "d"), 2)
	s, err := OpenStorage(filepath.Dir(root), tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := VerifyBlake3(t.Context(), s, tor.Info)
	if err != nil || len(res) != 3 {
		t.Fatalf("%+v, %v", res, err)
	}
	if !res[0].OK || res[0].Path != "p/a" {
		t.Errorf("intact file: %+v", res[0])
	}
	if res[1].OK || !res[1].Missing || res[1].Path != "p/b/c" {
		t.Errorf("missing empty file: %+v", res[1])
	}
	if res[2].OK || res[2].Missing || res[2].Err == nil {
		t.Errorf("short file: %+v", res[2])
	}
}
