package pieces

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCreate_FollowsSymlinks: a folder shared with links to a file and a
// folder outside it shares what they point at, and Storage reads the same
// bytes back through the links while refusing to write through them.
func TestCreate_FollowsSymlinks(t *testing.T) {
	outside := writeFolder(t, "elsewhere", []testFile{{"big.bin", 70000}, {"sub/x.txt", 5}})
	root := writeFolder(t, "payload", []testFile{{"own.bin", 1000}})
	if err := os.Symlink(filepath.Join(outside, "big.bin"), filepath.Join(root, "big.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "sub"), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	tor, err := Create(t.Context(), root, CreateOptions{PieceLength: 16384})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range tor.Info.Files {
		got = append(got, joinPath(f.Path))
	}
	if want := []string{"big.bin", "linked/x.txt", "own.bin"}; !equalStrings(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	s, err := OpenStorage(filepath.Dir(root), tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	have, err := Check(t.Context(), s, tor.Info, 2, nil)
	if err != nil || have.Count() != tor.Info.NumPieces() {
		t.Fatalf("check through links: %d of %d pieces, %v", have.Count(), tor.Info.NumPieces(), err)
	}
	stamps, err := Stamp(filepath.Dir(root), tor.Info)
	if err != nil || stamps[0].Size != 70000 {
		t.Fatalf("stamp through a link: %+v, %v", stamps, err)
	}
	before, _ := os.ReadFile(filepath.Join(outside, "big.bin"))
	_, err = s.WriteAt(make([]byte, 10), 0)
	var se *SymlinkError
	if !errors.As(err, &se) || !errors.Is(err, ErrUnsafePath) || se.Link != filepath.Join(root, "big.bin") {
		t.Fatalf("write through a link out of the folder: %v; want a SymlinkError naming it", err)
	}
	if after, _ := os.ReadFile(filepath.Join(outside, "big.bin")); !bytes.Equal(before, after) {
		t.Fatal("a write went through the link")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
