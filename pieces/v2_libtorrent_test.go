package pieces

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// debianPython is the interpreter libtorrent's Python bindings (Debian's
// python3-libtorrent, 2.0.8) import in; the python3 first on PATH may be
// another one.
const debianPython = "/usr/bin/python3"

// needLibtorrent skips t unless libtorrent's bindings import.
func needLibtorrent(t *testing.T) {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import libtorrent; print(libtorrent.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("libtorrent's Python bindings do not import in %s (install python3-libtorrent; .ci/run does): %v: %s", debianPython, err, bytes.TrimSpace(out))
	}
}

// ltMake makes a torrent of path with libtorrent and returns it with the
// v1 and v2 infohashes libtorrent computed ("-" for a half it lacks).
func ltMake(t *testing.T, path, format string, pieceLength int64) (tor []byte, v1, v2 string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), format+".torrent")
	cmd := exec.Command(debianPython, filepath.Join("testdata", "libtorrent", "make_torrent.py"), path, out, format, strconv.FormatInt(pieceLength, 10))
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("libtorrent make_torrent %s: %v: %s", format, err, b)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Fatalf("make_torrent printed %q", b)
	}
	tor, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return tor, f[0], f[1]
}

// writeFiles writes pseudo-random files of the given sizes under dir and
// returns their contents by slash path.
func writeFiles(t *testing.T, dir string, sizes map[string]int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(len(sizes))))
	out := map[string][]byte{}
	for rel, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out[rel] = b
	}
	return out
}

// v2Sizes has a file of many pieces (a layer of 5, padded to 8), one of
// exactly one piece, one under a block, an empty one, nested ones, and one
// longer than Create's 4 MiB read chunks, whose blocks are hashed in parts.
var v2Sizes = map[string]int{
	"big/x":       4<<20 + 50000,
	"a.bin":       4*32768 + 1000,
	"c":           5,
	"empty":       0,
	"one":         32768,
	"sub/b.bin":   40000,
	"sub/z/d.bin": 3 * 16384,
}

func TestParse_LibtorrentV2AndHybrid(t *testing.T) {
	needLibtorrent(t)
	const pl = 32768
	dir := filepath.Join(t.TempDir(), "d")
	content := writeFiles(t, dir, v2Sizes)
	single := filepath.Join(t.TempDir(), "single.bin")
	singleContent := writeFiles(t, filepath.Dir(single), map[string]int{"single.bin": 7*pl + 3})["single.bin"]

	for _, tc := range []struct {
		format string
		path   string
	}{{"v2", dir}, {"hybrid", dir}, {"v2", single}, {"hybrid", single}} {
		t.Run(tc.format+"/"+filepath.Base(tc.path), func(t *testing.T) {
			raw, v1, v2 := ltMake(t, tc.path, tc.format, pl)
			tor, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse of libtorrent's %s torrent: %v", tc.format, err)
			}
			info := tor.Info
			if !info.HasV2() || info.HasV1() != (tc.format == "hybrid") {
				t.Fatalf("HasV2 %v HasV1 %v for a %s torrent", info.HasV2(), info.HasV1(), tc.format)
			}
			if got := hex.EncodeToString(tor.InfoHashV2[:]); got != v2 {
				t.Errorf("v2 infohash %s, libtorrent says %s", got, v2)
			}
			wantIH := v1
			if tc.format == "v2" {
				wantIH = v2[:40] // truncated
			}
			if got := hex.EncodeToString(tor.InfoHash[:]); got != wantIH {
				t.Errorf("infohash %s, want %s", got, wantIH)
			}
			if !tor.HasAllLayers() {
				t.Errorf("libtorrent's torrent carries every piece layer, HasAllLayers says not")
			}
			real := 0
			for _, f := range info.Files {
				if f.Padding {
					continue
				}
				real++
				data := singleContent
				if f.Path != nil {
					data = content[joinPath(f.Path)]
				}
				if int64(len(data)) != f.Length {
					t.Fatalf("file %q: %d bytes, wrote %d", f.Path, f.Length, len(data))
				}
				if f.Length > 0 && f.Offset%pl != 0 {
					t.Errorf("file %q at offset %d: not on a piece", f.Path, f.Offset)
				}
				if len(data) == 0 {
					if f.Root != nil {
						t.Errorf("empty file %q has a root", f.Path)
					}
					continue
				}
				leaves := BlockLeaves(data)
				if root := FileRoot(leaves); !bytes.Equal(root[:], f.Root) {
					t.Errorf("file %q: root %x, libtorrent says %x", f.Path, root, f.Root)
				}
				layer := PieceLayer(leaves, pl)
				if got := tor.PieceLayers[Hash32(f.Root)]; len(layer) > 0 && !slices.Equal(got, layer) {
					t.Errorf("file %q: piece layer differs from libtorrent's", f.Path)
				}
				if len(layer) > 0 && LayerRoot(layer, pl) != Hash32(f.Root) {
					t.Errorf("file %q: layer does not hash to root", f.Path)
				}
			}
			if want := len(content); tc.path == single {
				if real != 1 || info.Files[0].Path != nil {
					t.Errorf("single file torrent read as %d files, first %q", real, info.Files[0].Path)
				}
			} else if real != want {
				t.Errorf("%d files, want %d", real, want)
			}
			again, err := Parse(tor.Bytes())
			if err != nil || again.InfoHashV2 != tor.InfoHashV2 || len(again.PieceLayers) != len(tor.PieceLayers) {
				t.Fatalf("roundtrip: %v", err)
			}
		})
	}
}

// ltCheck has libtorrent check the data under savePath against the
// torrent file, and returns its infohashes and how many pieces passed.
func ltCheck(t *testing.T, torrent, savePath string) (v1, v2 string, have, total int) {
	t.Helper()
	b, err := exec.Command(debianPython, filepath.Join("testdata", "libtorrent", "check_torrent.py"), torrent, savePath).CombinedOutput()
	if err != nil {
		t.Fatalf("libtorrent check_torrent: %v: %s", err, b)
	}
	f := strings.Fields(string(b))
	if len(f) != 4 {
		t.Fatalf("check_torrent printed %q", b)
	}
	have, _ = strconv.Atoi(f[2])
	total, _ = strconv.Atoi(f[3])
	return f[0], f[1], have, total
}

// TestCreate_V2HybridLibtorrent: libtorrent reads what Create makes in each
// format, agrees on the infohashes, and passes every piece of the data; a
// v2-only torrent is the very info dict libtorrent makes of the same files.
func TestCreate_V2HybridLibtorrent(t *testing.T) {
	needLibtorrent(t)
	const pl = 32768
	parent := t.TempDir()
	dir := filepath.Join(parent, "d")
	writeFiles(t, dir, v2Sizes)
	single := filepath.Join(parent, "single.bin")
	writeFiles(t, parent, map[string]int{"single.bin": 7*pl + 3})
	for _, path := range []string{dir, single} {
		for _, format := range []Format{FormatV2, FormatHybrid} {
			t.Run(format.String()+"/"+filepath.Base(path), func(t *testing.T) {
				tor, err := Create(t.Context(), path, CreateOptions{Format: format, PieceLength: pl})
				if err != nil {
					t.Fatal(err)
				}
				if !tor.HasAllLayers() || !tor.Info.HasV2() || tor.Info.HasV1() != (format == FormatHybrid) {
					t.Fatalf("made v1 %v v2 %v, all layers %v", tor.Info.HasV1(), tor.Info.HasV2(), tor.HasAllLayers())
				}
				file := filepath.Join(t.TempDir(), "x.torrent")
				if err := os.WriteFile(file, tor.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				v1, v2, have, total := ltCheck(t, file, parent)
				if got := hex.EncodeToString(tor.InfoHashV2[:]); got != v2 {
					t.Errorf("v2 infohash %s, libtorrent reads %s", got, v2)
				}
				if format == FormatHybrid && hex.EncodeToString(tor.InfoHash[:]) != v1 {
					t.Errorf("v1 infohash %x, libtorrent reads %s", tor.InfoHash, v1)
				}
				if have != total || total != tor.Info.NumPieces() {
					t.Errorf("libtorrent passed %d of %d pieces; shoal made %d", have, total, tor.Info.NumPieces())
				}
				if format == FormatV2 {
					_, _, ltV2 := ltMake(t, path, "v2", pl)
					if ltV2 != v2 {
						t.Errorf("libtorrent makes %s of the same files, shoal %s", ltV2, v2)
					}
				}
			})
		}
	}
}
