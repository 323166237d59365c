package pieces

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Shared fixtures live in the repo's testdata/ (see testdata/README.md).
// SHOAL_REGEN=1 go test ./pieces -run TestFixtures rewrites them and the
// fuzz seed corpora; without it the test checks them.
const fixtures = "../testdata"

// payloadSpec is testdata/payload: ~150 KiB with the usual awkward cases.
var payloadSpec = []testFile{
	{"hello.txt", -1}, // text, below
	{"odd.bin", 16384 + 7},
	{"sub/blob.bin", 100 << 10},
	{"sub/empty.txt", 0},
	{"ünïcödé/note.md", 1000},
}

const helloText = "hello from shoal's test payload\n"

func writePayload(t *testing.T, root string) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, f := range payloadSpec {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := []byte(helloText)
		if f.size >= 0 {
			b = make([]byte, f.size)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostileTorrents maps a fixture name to its info dict; names starting with
// "unsafe-" must fail with ErrUnsafePath, the others with ErrBadTorrent.
func hostileTorrents() map[string]map[string]any {
	file := func(length int64, path ...any) map[string]any {
		return map[string]any{"length": length, "path": path}
	}
	base := func(files ...any) map[string]any {
		m := infoDict()
		m["files"] = files
		return m
	}
	set := func(k string, v any) map[string]any { m := infoDict(); m[k] = v; return m }
	return map[string]map[string]any{
		"unsafe-dotdot":     base(file(20000, "..", "..", "etc", "passwd")),
		"unsafe-absolute":   base(file(20000, "/etc/passwd")),
		"unsafe-backslash":  base(file(20000, `..\..\windows\system32\x.dll`)),
		"unsafe-nul":        base(file(20000, "a\x00.txt")),
		"unsafe-name":       set("name", ".."),
		"unsafe-drive":      base(file(20000, "C:", "x")),
		"duplicate-path":    base(file(10000, "a"), file(10000, "a")),
		"file-dir-clash":    base(file(10000, "a"), file(10000, "a", "b")),
		"negative-length":   base(file(-1, "a"), file(20001, "b")),
		"overflow":          base(file(1<<62, "a"), file(1<<62, "b"), file(1<<62, "c")),
		"bad-piece-length":  set("piece length", int64(1000)),
		"pieces-mismatch":   set("pieces", strings.Repeat("x", 60)),
		"empty-files-list":  base(),
		"both-length-files": set("length", int64(20000)),
	}
}

func TestFixtures(t *testing.T) {
	regen := os.Getenv("SHOAL_REGEN") == "1"
	payload := filepath.Join(fixtures, "payload")
	if regen {
		os.RemoveAll(payload)
		writePayload(t, payload)
	}
	tor, err := Create(t.Context(), payload, CreateOptions{PieceLength: 16 << 10, CreatedBy: "shoal fixtures"})
	if err != nil {
		t.Fatal(err)
	}
	torrentPath := filepath.Join(fixtures, "payload.torrent")
	if regen {
		writeFixture(t, torrentPath, tor.Bytes())
	}
	loaded, err := Load(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.InfoHash != tor.InfoHash {
		t.Fatalf("testdata/payload.torrent (%x) does not match testdata/payload (%x): regenerate with SHOAL_REGEN=1", loaded.InfoHash, tor.InfoHash)
	}

	for name, info := range hostileTorrents() {
		path := filepath.Join(fixtures, "hostile", name+".torrent")
		if regen {
			writeFixture(t, path, encode(t, map[string]any{"announce": "http://127.0.0.1:1/announce", "info": info}))
		}
		_, err := Load(path)
		if !errors.Is(err, ErrBadTorrent) || strings.HasPrefix(name, "unsafe-") != errors.Is(err, ErrUnsafePath) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if regen {
		writeSeeds(t, tor)
	}
}

func writeFixture(t *testing.T, path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSeeds writes fuzz seed corpora in the go test fuzz v1 format.
func writeSeeds(t *testing.T, payload *Torrent) {
	seed := func(target, name string, vals ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
			case string:
				fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
			case int:
				fmt.Fprintf(&b, "int(%d)\n", v)
			}
		}
		writeFixture(t, filepath.Join("testdata", "fuzz", target, name), []byte(b.String()))
	}
	single, _ := makeInfo(t, "one.bin", 16384, []testFile{{"", 40000}})
	singleTor := &Torrent{InfoBytes: single.encode(), Announce: [][]string{{"http://127.0.0.1:1/a"}, {"udp://127.0.0.1:2"}}, Comment: "c"}
	seed("FuzzParse", "payload", payload.Bytes())
	seed("FuzzParse", "single", singleTor.Bytes())
	seed("FuzzParseInfo", "payload", payload.InfoBytes)
	seed("FuzzParseInfo", "single", single.encode())
	for name, info := range hostileTorrents() {
		raw := encode(t, info)
		seed("FuzzParseInfo", name, raw)
		seed("FuzzParse", name, encode(t, map[string]any{"info": info}))
	}
	seed("FuzzParseMagnet", "payload", payload.Magnet("127.0.0.1:6881", "[::1]:6882"))
	seed("FuzzParseMagnet", "base32", "magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&dn=a%20b&tr=udp%3A%2F%2F127.0.0.1%3A9")
	seed("FuzzParseMagnet", "hybrid", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&xt=urn:btmh:1220"+strings.Repeat("ab", 32))
	seed("FuzzParse", "url-list-string", encode(t, map[string]any{"info": infoDict(), "url-list": "http://127.0.0.1:8080/one.bin"}))
	seed("FuzzParse", "url-list-mixed", encode(t, map[string]any{"info": infoDict(), "url-list": []any{"http://127.0.0.1:8080/", int64(3), "ftp://x/", "https://[::1]/d/"}}))
	seed("FuzzParseMagnet", "web-seeds", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fd%2F&ws=javascript:x&ws=http://u@h/")
	seed("FuzzParseMagnet", "bad-peer", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=host:99999")
	names, datas := v2FixtureFiles()
	for _, hybrid := range []bool{false, true} {
		m := v2Fixture(t, 32768, hybrid, names, datas)
		kind := map[bool]string{false: "v2", true: "hybrid"}[hybrid]
		seed("FuzzParse", kind, encode(t, m))
		seed("FuzzParseInfo", kind, encode(t, m["info"]))
		seed("FuzzParseFileTree", kind, encode(t, m["info"].(map[string]any)["file tree"]))
	}
	seed("FuzzParseFileTree", "dotdot", []byte("d2:..d0:d6:lengthi1e11:pieces root32:"+strings.Repeat("r", 32)+"eee"))
	req := HashRequest{Root: Hash32{1}, BaseLayer: 1, Index: 4, Length: 4, ProofLayers: 2}
	seed("FuzzParseHashRequest", "piece-layer", req.Bytes())
	seed("FuzzParseHashRequest", "not-multiple", HashRequest{Index: 2, Length: 4}.Bytes())
	seed("FuzzParseHashes", "proof", HashesBytes(req, make([]Hash32, 5)))
	seed("FuzzParseHashes", "short", HashesBytes(req, make([]Hash32, 3)))
	seed("FuzzParseMagnet", "v2", "magnet:?xt=urn:btmh:1220"+strings.Repeat("cd", 32)+"&dn=v2")
	seed("FuzzBitfieldFromBytes", "ten", []byte{0xff, 0xc0}, 10)
	seed("FuzzBitfieldFromBytes", "spare", []byte{0xff, 0xe0}, 10)
	seed("FuzzBitfieldFromBytes", "aligned", []byte{0x5a, 0xa5}, 16)
	seed("FuzzBitfieldFromBytes", "short", []byte{0xff}, 9)
}
