package pieces

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestResume_WritingFlagRoundtrip(t *testing.T) {
	info, r := sampleResume(t)
	for _, w := range []bool{true, false} {
		r.Writing = w
		path := filepath.Join(t.TempDir(), "w.resume")
		if err := SaveResume(path, r); err != nil {
			t.Fatal(err)
		}
		got, err := LoadResume(path, info)
		if err != nil {
			t.Fatal(err)
		}
		if got.Writing != w {
			t.Errorf("Writing = %v after a roundtrip, want %v", got.Writing, w)
		}
	}
}

// Reconcile: a crash mid-download leaves files newer than the record; that
// alone must not cost a re-hash, while a real change re-hashes exactly the
// changed file's pieces.
func TestResume_Reconcile(t *testing.T) {
	// One file of 3 pieces and one of 2 (piece 2 spans both).
	info, _ := makeInfo(t, "root", 16384, []testFile{{"a", 40000}, {"b", 30000}})
	at := time.Unix(1700000000, 0).UTC()
	later := at.Add(time.Second)
	full := func(f int, m time.Time) FileStamp { return FileStamp{Size: info.Files[f].Length, ModTime: m} }
	have := NewBitfield(info.NumPieces())
	for i := range info.NumPieces() {
		have.Set(i)
	}
	for _, tt := range []struct {
		name      string
		writing   bool
		was, now  []FileStamp
		keep      []Index
		recheckIs []Index
	}{
		{"unchanged", false, []FileStamp{full(0, at), full(1, at)}, []FileStamp{full(0, at), full(1, at)}, []Index{0, 1, 2, 3, 4}, nil},
		{"clean record, one file newer", false, []FileStamp{full(0, at), full(1, at)}, []FileStamp{full(0, at), full(1, later)},
			[]Index{0, 1}, []Index{2, 3, 4}},
		{"crash mid-download: newer files trusted", true, []FileStamp{full(0, at), full(1, at)}, []FileStamp{full(0, later), full(1, later)},
			[]Index{0, 1, 2, 3, 4}, nil},
		{"crash: file created since the record", true, []FileStamp{full(0, at), {Size: -1}}, []FileStamp{full(0, later), full(1, later)},
			[]Index{0, 1, 2, 3, 4}, nil},
		{"crash: mtime went back", true, []FileStamp{full(0, at), full(1, later)}, []FileStamp{full(0, at), full(1, at)},
			[]Index{0, 1}, []Index{2, 3, 4}},
		{"crash: file truncated", true, []FileStamp{full(0, at), full(1, at)}, []FileStamp{{Size: 5, ModTime: later}, full(1, at)},
			[]Index{3, 4}, []Index{0, 1, 2}},
		{"crash: file deleted", true, []FileStamp{full(0, at), full(1, at)}, []FileStamp{full(0, at), {Size: -1}},
			[]Index{0, 1}, []Index{2, 3, 4}},
	} {
		r := &Resume{Have: have, Files: tt.was, Writing: tt.writing}
		keep, recheck := r.Reconcile(info, tt.now)
		var kept []Index
		for i := range info.NumPieces() {
			if keep.Has(i) {
				kept = append(kept, i)
			}
		}
		if !slices.Equal(kept, tt.keep) || !slices.Equal(recheck, tt.recheckIs) {
			t.Errorf("%s: keep %v recheck %v; want %v and %v", tt.name, kept, recheck, tt.keep, tt.recheckIs)
		}
	}
}

// FuzzDecodeResume: garbage never panics the loader, and what it accepts
// encodes back to the same bytes.
func FuzzDecodeResume(f *testing.F) {
	info, _ := makeInfo(f, "root", 16384, multiFiles)
	have := NewBitfield(info.NumPieces())
	have.Set(1)
	r := &Resume{Have: have, Files: make([]FileStamp, len(info.Files)), Writing: true}
	for k := range r.Files {
		r.Files[k] = FileStamp{Size: int64(k * 7), ModTime: time.Unix(1700000000, int64(k)).UTC()}
	}
	path := filepath.Join(f.TempDir(), "seed.resume")
	if err := SaveResume(path, r); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("SHOALRES"))
	n, files := info.NumPieces(), len(info.Files)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeResume(b, n, files)
		if err != nil {
			return
		}
		p := filepath.Join(t.TempDir(), "x")
		if err := SaveResume(p, got); err != nil {
			t.Fatalf("accepted %q but cannot save it: %v", b, err)
		}
		again, err := LoadResume(p, info)
		if err != nil || again.Have.Count() != got.Have.Count() || len(again.Files) != len(got.Files) || again.Writing != got.Writing {
			t.Fatalf("roundtrip of %q: %+v, %v; want %+v", b, again, err, got)
		}
	})
}
