package pieces

import (
	"context"
	"crypto/sha1"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type testFile struct {
	path string // slash-separated under the name; "" for single-file
	size int
}

// makeInfo builds a validated Info for files with pseudo-random content and
// returns it with the torrent's byte stream.
func makeInfo(t testing.TB, name string, pieceLen int64, files []testFile) (*Info, []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(files)), uint64(pieceLen)))
	var stream []byte
	var list []any
	for _, f := range files {
		b := make([]byte, f.size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		stream = append(stream, b...)
		var comps []any
		for _, c := range strings.Split(f.path, "/") {
			comps = append(comps, c)
		}
		list = append(list, map[string]any{"length": int64(f.size), "path": comps})
	}
	var hashes []byte
	for off := 0; off < len(stream); off += int(pieceLen) {
		h := sha1.Sum(stream[off:min(len(stream), off+int(pieceLen))])
		hashes = append(hashes, h[:]...)
	}
	m := map[string]any{"name": name, "piece length": pieceLen, "pieces": string(hashes)}
	if len(files) == 1 && files[0].path == "" {
		m["length"] = int64(files[0].size)
	} else {
		m["files"] = list
	}
	info, err := ParseInfo(encode(t, m))
	if err != nil {
		t.Fatal(err)
	}
	return info, stream
}

// writeTree writes the files of info from stream under dir/info.Name.
func writeTree(t testing.TB, dir string, info *Info, stream []byte) {
	t.Helper()
	for _, f := range info.Files {
		p := filepath.Join(append([]string{dir, info.Name}, f.Path...)...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, stream[f.Offset:f.Offset+f.Length], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
