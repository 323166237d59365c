package pieces

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reuseFixture makes a torrent (in format) of a folder holding a.bin and
// b.bin, and returns it with their bytes.
func reuseFixture(t *testing.T, format Format) (*Torrent, []byte, []byte) {
	t.Helper()
	a, b := randomBytes(1, 100_000), randomBytes(2, 50_000)
	src := filepath.Join(t.TempDir(), "set")
	writeFile(t, filepath.Join(src, "a.bin"), a)
	writeFile(t, filepath.Join(src, "b.bin"), b)
	tor, err := Create(t.Context(), src, CreateOptions{PieceLength: 16 << 10, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	return tor, a, b
}

// treeState is each file's SHA-256 and mtime, and each link's target.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[p] = "link " + target
		case d.Type().IsRegular():
			b, _ := os.ReadFile(p)
			out[p] = fi.ModTime().Format(time.RFC3339Nano) + " " + string(sha256Sum(b))
		}
		return nil
	})
	return out
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func index(info *Info, name string) int {
	for f, file := range info.Files {
		if len(file.Path) == 1 && file.Path[0] == name {
			return f
		}
	}
	return -1
}

func TestFindReuse_Folder(t *testing.T) {
	for _, format := range []Format{FormatV1, FormatV2, FormatHybrid} {
		tor, a, b := reuseFixture(t, format)
		info := tor.Info
		// The folder holds a's bytes under another name, a file as long
		// as b with other bytes, and a link to b's bytes outside it.
		outside := filepath.Join(t.TempDir(), "b-outside.bin")
		writeFile(t, outside, b)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "deep", "renamed-a"), a)
		wrong := slices.Clone(b)
		wrong[len(wrong)/2] ^= 1
		writeFile(t, filepath.Join(dir, "same-length-as-b"), wrong)
		writeFile(t, filepath.Join(dir, "other-length"), b[:1000])
		if err := os.Symlink(outside, filepath.Join(dir, "link-to-b")); err != nil {
			t.Fatal(err)
		}
		before := treeState(t, dir)
		got, err := FindReuse(t.Context(), ReuseQuery{Info: info, Want: func(int) bool { return true }, Dirs: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		want := []ReuseMatch{{File: index(info, "a.bin"), Src: filepath.Join(dir, "deep", "renamed-a"), From: FromFolder, Hashed: true}}
		if !slices.Equal(got, want) {
			t.Errorf("format %d: FindReuse = %+v, want %+v (b's lookalike and the link outside not used)", format, got, want)
		}
		// Placing it leaves the folder as it was, and the placed bytes are a's.
		out := t.TempDir()
		m, err := PlaceFile(t.Context(), out, "set/a.bin", got[0].Src, int64(len(a)), false, false)
		if err != nil {
			t.Fatal(err)
		}
		if placed, _ := os.ReadFile(filepath.Join(out, "set", "a.bin")); !slices.Equal(placed, a) || m == PlacedLink {
			t.Errorf("placed by %v: bytes differ from a's", m)
		}
		if after := treeState(t, dir); !maps(before, after) {
			t.Errorf("reuse folder changed:\nbefore %q\nafter  %q", before, after)
		}
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFindReuse_Known(t *testing.T) {
	tor, a, b := reuseFixture(t, FormatHybrid)
	info := tor.Info
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), a)
	wrongB := slices.Clone(b)
	wrongB[0] ^= 1
	writeFile(t, filepath.Join(dir, "b"), wrongB) // an edit the library's torrent does not know of
	fa, fb := info.Files[index(info, "a.bin")], info.Files[index(info, "b.bin")]
	known := []KnownFile{
		{Path: filepath.Join(dir, "a"), Length: fa.Length, Root: fa.Root},     // a v2 torrent of a
		{Path: filepath.Join(dir, "b"), Length: fb.Length, Blake3: fb.Blake3}, // a v1 shoal torrent of b
	}
	q := ReuseQuery{Info: info, Want: func(int) bool { return true }, Known: known}
	got, err := FindReuse(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Hashed || got[1].Hashed {
		t.Fatalf("identities from torrents, no hashing: got %+v", got)
	}
	q.HashKnown = true // as for a hard link: b's edit shows
	got, err = FindReuse(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ReuseMatch{{File: index(info, "a.bin"), Src: known[0].Path, From: FromLibrary, Hashed: true}}; !slices.Equal(got, want) {
		t.Errorf("hashed: got %+v, want %+v", got, want)
	}
	q.Want = func(f int) bool { return f != index(info, "a.bin") }
	if got, _ := FindReuse(t.Context(), q); len(got) != 0 {
		t.Errorf("a file not wanted was matched: %+v", got)
	}
}

func TestPlaceFile_NeverReplaces(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, src, []byte("the bytes"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "set", "taken"), []byte("mine"))
	if _, err := PlaceFile(t.Context(), dir, "set/taken", src, 9, false, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("onto a file: %v, want ErrExist", err)
	}
	if _, err := PlaceFile(t.Context(), dir, "set/taken", src, 9, true, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("linking onto a file: %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "set", "taken")); string(b) != "mine" {
		t.Errorf("the file in the way now holds %q", b)
	}
	// A link planted under dir that leads out of it is not followed.
	out := t.TempDir()
	os.Symlink(out, filepath.Join(dir, "escape"))
	if _, err := PlaceFile(t.Context(), dir, "escape/f", src, 9, false, false); err == nil {
		t.Error("placed through a link out of the folder")
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("wrote outside: %v", ents)
	}
	// A source that is a link is not followed unless asked.
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(src, link)
	if _, err := PlaceFile(t.Context(), dir, "set/via-link", link, 9, false, false); err == nil {
		t.Error("read through a link")
	}
	if _, err := PlaceFile(t.Context(), dir, "set/wrong-length", src, 10, false, false); err == nil {
		t.Error("placed a file of another length")
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(filepath.Join(dir, "set"))
	if len(ents) != 1 {
		t.Errorf("left in the folder: %v", ents)
	}
}

func TestPlaceFile_Link(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, src, []byte("the bytes"))
	dir := t.TempDir()
	m, err := PlaceFile(t.Context(), dir, "set/f", src, 9, true, false)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(src)
	b, _ := os.Stat(filepath.Join(dir, "set", "f"))
	switch m {
	case PlacedLink:
		if !os.SameFile(a, b) {
			t.Error("a hard link that is not the same file")
		}
	case PlacedReflink:
		if os.SameFile(a, b) {
			t.Error("a reflink that is the same file")
		}
	default:
		t.Errorf("asked for a link on one file system, got a %v", m)
	}
	m, err = PlaceFile(t.Context(), dir, "set/g", src, 9, false, false)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := os.Stat(filepath.Join(dir, "set", "g"))
	if m == PlacedLink || os.SameFile(a, c) {
		t.Errorf("without link: a %v sharing the file", m)
	}
}

// One file found serves every wanted file with the same bytes.
func TestFindReuse_DuplicatesShareOneSource(t *testing.T) {
	a := randomBytes(3, 40_000)
	src := filepath.Join(t.TempDir(), "set")
	writeFile(t, filepath.Join(src, "one"), a)
	writeFile(t, filepath.Join(src, "two"), a)
	for _, format := range []Format{FormatV1, FormatV2} {
		tor, err := Create(t.Context(), src, CreateOptions{PieceLength: 16 << 10, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "copy"), a)
		all := func(int) bool { return true }
		got, err := FindReuse(t.Context(), ReuseQuery{Info: tor.Info, Want: all, Dirs: []string{dir}})
		if err != nil || len(got) != 2 {
			t.Errorf("format %d, folder: %+v %v, want both files", format, got, err)
		}
		f := tor.Info.Files[index(tor.Info, "one")]
		known := []KnownFile{{Path: filepath.Join(dir, "copy"), Length: f.Length, Root: f.Root, Blake3: f.Blake3}}
		got, err = FindReuse(t.Context(), ReuseQuery{Info: tor.Info, Want: all, Known: known, HashKnown: true})
		if err != nil || len(got) != 2 {
			t.Errorf("format %d, known: %+v %v, want both files", format, got, err)
		}
	}
}
