package pieces

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zeebo/blake3"
)

// folderSpec is a payload exercising the awkward cases: empty files (first,
// middle, last), nesting, unicode, sizes that are not piece multiples, and a
// file bigger than one 4 MiB read chunk with small pieces.
var folderSpec = []testFile{
	{"0-empty", 0},
	{"a.bin", 40000},
	{"dir/sub/deep.bin", 16384},
	{"dir/sub/empty", 0},
	{"dir/z.txt", 3},
	{"été/日本語 ñ.txt", 12345},
	{"big.bin", 5<<20 + 7},
	{"zz-empty", 0},
}

// writeFolder writes spec under a fresh dir/name and returns the folder.
func writeFolder(t testing.TB, name string, spec []testFile) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), name)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range spec {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, f.size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCreate_FolderRoundtrip(t *testing.T) {
	root := writeFolder(t, "payload", folderSpec)
	// Things Create must skip: a link that loops back up its own path, a
	// dangling link.
	if err := os.Symlink(root, filepath.Join(root, "dir", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	var calls int
	var last int64
	tor, err := Create(t.Context(), root, CreateOptions{
		PieceLength: 32 << 10, Trackers: []string{"http://127.0.0.1:1/announce", "udp://127.0.0.1:2"},
		Private: true, Comment: "c", CreatedBy: "shoal test", Workers: 3,
		Progress: func(done, total int64) { calls++; last = done },
	})
	if err != nil {
		t.Fatal(err)
	}
	info := tor.Info
	var wantPaths []string
	for _, f := range folderSpec {
		wantPaths = append(wantPaths, f.path)
	}
	slices.Sort(wantPaths) // byte order equals component order here
	var gotPaths []string
	for _, f := range info.Files {
		gotPaths = append(gotPaths, joinPath(f.Path))
	}
	if !slices.Equal(gotPaths, wantPaths) {
		t.Fatalf("paths %q\nwant %q", gotPaths, wantPaths)
	}
	if calls == 0 || last != info.Length || !info.Private || info.PieceLength != 32<<10 {
		t.Errorf("progress calls %d last %d of %d; private %v", calls, last, info.Length, info.Private)
	}
	// Every file digest matches an independent BLAKE3 of the file.
	for _, f := range info.Files {
		b, err := os.ReadFile(filepath.Join(append([]string{root}, f.Path...)...))
		if err != nil {
			t.Fatal(err)
		}
		if sum := blake3.Sum256(b); !bytes.Equal(sum[:], f.Blake3) {
			t.Errorf("%v: blake3 %x want %x", f.Path, f.Blake3, sum)
		}
	}
	// Parse(Bytes) keeps everything; a second Create is byte-identical.
	parsed, err := Parse(tor.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.InfoHash != tor.InfoHash || parsed.InfoHash != sha1.Sum(tor.InfoBytes) || len(parsed.Announce) != 2 {
		t.Fatalf("parsed %+v", parsed)
	}
	again, err := Create(t.Context(), root, CreateOptions{PieceLength: 32 << 10, Private: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.InfoBytes, tor.InfoBytes) {
		t.Fatal("Create is not deterministic")
	}

	// The data checks out in place (dir = parent of the folder) ...
	s, err := OpenStorage(filepath.Dir(root), parsed.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	have, err := Check(t.Context(), s, parsed.Info, 0, nil)
	if err != nil || !have.All() {
		t.Fatalf("Check: %d/%d, %v", have.Count(), have.Len(), err)
	}
	res, err := VerifyBlake3(t.Context(), s, parsed.Info)
	if err != nil || len(res) != len(info.Files) {
		t.Fatalf("VerifyBlake3: %v, %v", res, err)
	}
	for _, r := range res {
		if !r.OK {
			t.Errorf("%s: %+v", r.Path, r)
		}
	}

	// ... and a copy written piece by piece through Storage is identical.
	dst := t.TempDir()
	out, err := OpenStorage(dst, parsed.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for p := range parsed.Info.NumPieces() {
		buf := make([]byte, parsed.Info.PieceSize(p))
		if _, err := s.ReadAt(buf, parsed.Info.PieceOffset(p)); err != nil {
			t.Fatal(err)
		}
		if _, err := out.WriteAt(buf, parsed.Info.PieceOffset(p)); err != nil {
			t.Fatal(err)
		}
	}
	have, err = Check(t.Context(), out, parsed.Info, 2, nil)
	if err != nil || !have.All() {
		t.Fatalf("Check copy: %d/%d, %v", have.Count(), have.Len(), err)
	}
	for _, f := range folderSpec {
		a, _ := os.ReadFile(filepath.Join(root, f.path))
		b, err := os.ReadFile(filepath.Join(dst, "payload", f.path))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs in the copy: %v", f.path, err)
		}
	}
}

func TestCreate_SingleFile(t *testing.T) {
	root := writeFolder(t, "d", []testFile{{"movie.mkv", 100000}})
	path := filepath.Join(root, "movie.mkv")
	when := time.Unix(1700000000, 0).UTC()
	tor, err := Create(t.Context(), path, CreateOptions{CreationDate: when})
	if err != nil {
		t.Fatal(err)
	}
	info := tor.Info
	if info.Name != "movie.mkv" || len(info.Files) != 1 || info.Files[0].Path != nil || info.Length != 100000 {
		t.Fatalf("info %+v", info)
	}
	b, _ := os.ReadFile(path)
	if sum := blake3.Sum256(b); !bytes.Equal(info.Files[0].Blake3, sum[:]) {
		t.Error("single-file blake3 missing or wrong")
	}
	parsed, err := Parse(tor.Bytes())
	if err != nil || !parsed.CreationDate.Equal(when) || parsed.InfoHash != tor.InfoHash {
		t.Fatalf("parsed %+v, %v", parsed, err)
	}
	s, err := OpenStorage(root, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	have, err := Check(t.Context(), s, info, 0, nil)
	if err != nil || !have.All() {
		t.Fatalf("Check: %v, %v", have.Count(), err)
	}
	// Damage one byte: exactly one piece and the digest fail.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{b[50000] ^ 1}, 50000)
	f.Close()
	have, err = Check(t.Context(), s, info, 0, nil)
	if err != nil || have.Count() != info.NumPieces()-1 || have.Has(Index(50000/info.PieceLength)) {
		t.Fatalf("after damage: %d/%d, %v", have.Count(), have.Len(), err)
	}
	res, err := VerifyBlake3(t.Context(), s, info)
	if err != nil || len(res) != 1 || res[0].OK || !errors.Is(res[0].Err, ErrDigestMismatch) {
		t.Fatalf("VerifyBlake3 after damage: %+v, %v", res, err)
	}
}

func TestCreate_Refuses(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	os.Mkdir(empty, 0o755)
	if _, err := Create(t.Context(), empty, CreateOptions{}); !errors.Is(err, ErrNothingToShare) {
		t.Errorf("empty folder: %v", err)
	}
	zeros := writeFolder(t, "zeros", []testFile{{"a", 0}, {"b/c", 0}})
	if _, err := Create(t.Context(), zeros, CreateOptions{}); !errors.Is(err, ErrNothingToShare) {
		t.Errorf("only empty files: %v", err)
	}
	bad := writeFolder(t, "bad", []testFile{{"ok", 10}, {"a\x01b", 10}})
	if _, err := Create(t.Context(), bad, CreateOptions{}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("control character in a name: %v", err)
	}
	ok := writeFolder(t, "ok", []testFile{{"a", 10}})
	if _, err := Create(t.Context(), ok, CreateOptions{PieceLength: 1000}); err == nil {
		t.Error("piece length 1000 accepted")
	}
	ctx, cancel := contextWithCancel(t)
	cancel()
	if _, err := Create(ctx, ok, CreateOptions{}); err == nil {
		t.Error("canceled Create succeeded")
	}
}

func TestAutoPieceLength(t *testing.T) {
	for _, tt := range []struct{ total, want int64 }{
		{1, 16 << 10},
		{2000 * 16 << 10, 16 << 10},
		{2000*16<<10 + 1, 32 << 10},
		{1 << 30, 1 << 20},
		{1 << 40, 16 << 20},
	} {
		if got := AutoPieceLength(tt.total); got != tt.want {
			t.Errorf("AutoPieceLength(%d) = %d, want %d", tt.total, got, tt.want)
		}
	}
	for total := int64(64 << 20); total < 30<<30; total = total*3/2 + 12345 {
		pl := AutoPieceLength(total)
		if n := (total + pl - 1) / pl; n > 2000 || n < 1000 {
			t.Errorf("total %d: pl %d gives %d pieces", total, pl, n)
		}
	}
}
