package pieces

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func sampleResume(t *testing.T) (*Info, *Resume) {
	info, _ := makeInfo(t, "root", 16384, multiFiles)
	have := NewBitfield(info.NumPieces())
	have.Set(0)
	have.Set(info.NumPieces() - 1)
	r := &Resume{Have: have, Files: make([]FileStamp, len(info.Files))}
	copy(r.InfoHash[:], "0123456789abcdefghij")
	for k := range r.Files {
		r.Files[k] = FileStamp{Size: int64(k * 100), ModTime: time.Unix(1700000000, int64(k)).UTC()}
	}
	r.Files[1] = FileStamp{Size: -1}
	return info, r
}

func TestResume_Roundtrip(t *testing.T) {
	info, r := sampleResume(t)
	path := filepath.Join(t.TempDir(), "x.resume")
	if err := SaveResume(path, r); err != nil {
		t.Fatal(err)
	}
	if err := SaveResume(path, r); err != nil { // overwrite in place
		t.Fatal(err)
	}
	got, err := LoadResume(path, info)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("got %+v\nwant %+v", got, r)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestResume_Bad(t *testing.T) {
	info, r := sampleResume(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := SaveResume(good, r); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	check := func(name string, b []byte, inf *Info) {
		t.Helper()
		p := filepath.Join(dir, "bad")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadResume(p, inf); !errors.Is(err, ErrBadResume) {
			t.Errorf("%s: err = %v, want ErrBadResume", name, err)
		}
	}
	for n := range len(raw) { // every torn prefix
		check("torn", raw[:n], info)
	}
	for i := range raw { // every single-bit flip
		b := append([]byte(nil), raw...)
		b[i] ^= 0x10
		check("flip", b, info)
	}
	check("trailing", append(append([]byte(nil), raw...), 0), info)
	other, _ := makeInfo(t, "other", 16384, []testFile{{"", 100}})
	check("other torrent shape", raw, other)
	if _, err := LoadResume(filepath.Join(dir, "none"), info); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestStamp(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	dir := t.TempDir()
	st, err := Stamp(filepath.Join(dir, "nope"), info)
	if err != nil || st[0].Size != -1 {
		t.Fatalf("missing dir: %v, %v", st, err)
	}
	writeTree(t, dir, info, stream)
	os.Remove(filepath.Join(dir, "root", "z.bin"))
	st, err = Stamp(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	for k, f := range info.Files {
		if joinPath(f.Path) == "z.bin" {
			if st[k].Size != -1 {
				t.Errorf("removed file stamped %+v", st[k])
			}
			continue
		}
		if st[k].Size != f.Length || st[k].ModTime.IsZero() {
			t.Errorf("%v: %+v", f.Path, st[k])
		}
	}
	again, _ := Stamp(dir, info)
	if !reflect.DeepEqual(st, again) {
		t.Error("stamps of unchanged files differ")
	}
	// Stamps survive a save/load and still compare equal.
	r := &Resume{Have: NewBitfield(info.NumPieces()), Files: st}
	p := filepath.Join(t.TempDir(), "r")
	if err := SaveResume(p, r); err != nil {
		t.Fatal(err)
	}
	got, err := LoadResume(p, info)
	if err != nil || !reflect.DeepEqual(got.Files, st) {
		t.Fatalf("stamps after roundtrip: %+v, %v", got, err)
	}
}

func TestResume_BootRoundtrip(t *testing.T) {
	info := &Info{Name: "x", PieceLength: 16 << 10, Hashes: make([][20]byte, 3), Length: 40 << 10,
		Files: []File{{Length: 40 << 10}}}
	have := NewBitfield(3)
	have.Set(1)
	path := filepath.Join(t.TempDir(), "r")
	for _, boot := range []string{"", "5f6c1a52-8d2e-4c3b-9a41-0d6f2b7e9c11"} {
		want := &Resume{Have: have, Files: []FileStamp{{Size: 7}}, Writing: true, Boot: boot}
		if err := SaveResume(path, want); err != nil {
			t.Fatal(err)
		}
		got, err := LoadResume(path, info)
		if err != nil || got.Boot != boot || !got.Have.Has(1) || got.Have.Has(0) || !got.Writing {
			t.Errorf("boot %q: got %+v, %v", boot, got, err)
		}
	}
	if BootID() == "" {
		t.Log("no boot id on this system; fast resume records are never used here")
	}
}
