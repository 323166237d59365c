package pieces

import (
	"crypto/sha1"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// v2Fixture builds a v2 (or hybrid, with BEP 47 pad files) torrent as a
// map, from named files in order, with the piece layers; tests break it.
func v2Fixture(t testing.TB, pl int64, hybrid bool, names []string, datas [][]byte) map[string]any {
	t.Helper()
	tree := map[string]any{}
	layers := map[string]any{}
	var files []any
	var stream []byte
	for k, name := range names {
		data := datas[k]
		entry := map[string]any{"length": int64(len(data))}
		if len(data) > 0 {
			leaves := BlockLeaves(data)
			root := FileRoot(leaves)
			entry["pieces root"] = string(root[:])
			if layer := PieceLayer(leaves, pl); layer != nil {
				var b []byte
				for _, h := range layer {
					b = append(b, h[:]...)
				}
				layers[string(root[:])] = string(b)
			}
		}
		node := tree
		comps := strings.Split(name, "/")
		for _, c := range comps[:len(comps)-1] {
			if node[c] == nil {
				node[c] = map[string]any{}
			}
			node = node[c].(map[string]any)
		}
		node[comps[len(comps)-1]] = map[string]any{"": entry}
		var path []any
		for _, c := range comps {
			path = append(path, c)
		}
		files = append(files, map[string]any{"length": int64(len(data)), "path": path})
		stream = append(stream, data...)
		if r := int64(len(data)) % pl; r != 0 && k < len(names)-1 {
			files = append(files, map[string]any{"length": pl - r, "path": []any{".pad", strconv.FormatInt(pl-r, 10)}, "attr": "p"})
			stream = append(stream, make([]byte, pl-r)...)
		}
	}
	info := map[string]any{"name": "t", "piece length": pl, "meta version": int64(2), "file tree": tree}
	if hybrid {
		var hashes []byte
		for off := 0; off < len(stream); off += int(pl) {
			h := sha1.Sum(stream[off:min(len(stream), off+int(pl))])
			hashes = append(hashes, h[:]...)
		}
		info["pieces"], info["files"] = string(hashes), files
	}
	return map[string]any{"info": info, "piece layers": layers}
}

func v2FixtureFiles() ([]string, [][]byte) {
	big := make([]byte, 5*32768+100)
	for i := range big {
		big[i] = byte(i * 7)
	}
	return []string{"a/big", "b", "c"}, [][]byte{big, []byte("hello"), {}}
}

func TestParse_V2Fixture(t *testing.T) {
	names, datas := v2FixtureFiles()
	for _, hybrid := range []bool{false, true} {
		tor, err := Parse(encode(t, v2Fixture(t, 32768, hybrid, names, datas)))
		if err != nil {
			t.Fatalf("hybrid %v: %v", hybrid, err)
		}
		if !tor.HasAllLayers() || tor.Info.HasV1() != hybrid || !tor.Info.HasV2() {
			t.Fatalf("hybrid %v: layers %v v1 %v", hybrid, tor.HasAllLayers(), tor.Info.HasV1())
		}
		// Both layouts put b on the piece after big, padded.
		var offB int64 = -1
		for _, f := range tor.Info.Files {
			if joinPath(f.Path) == "b" {
				offB = f.Offset
			}
		}
		if offB != 6*32768 {
			t.Errorf("hybrid %v: b at %d, want %d", hybrid, offB, 6*32768)
		}
		checkInfoInvariants(t, tor.Info)
	}
}

func TestParse_V2Hostile(t *testing.T) {
	names, datas := v2FixtureFiles()
	fixture := func(hybrid bool) (map[string]any, map[string]any, map[string]any) {
		m := v2Fixture(t, 32768, hybrid, names, datas)
		info := m["info"].(map[string]any)
		return m, info, info["file tree"].(map[string]any)
	}
	bigRoot := func(tree map[string]any) map[string]any {
		return tree["a"].(map[string]any)["big"].(map[string]any)[""].(map[string]any)
	}
	for _, tc := range []struct {
		name   string
		hybrid bool
		breakf func(m, info, tree map[string]any)
		want   string
	}{
		{"dotdot", false, func(m, info, tree map[string]any) { tree[".."] = tree["b"] }, `escapes`},
		{"empty name", false, func(m, info, tree map[string]any) { tree[""] = map[string]any{"x": tree["b"]} }, `is a file, not a folder`},
		{"empty component", false, func(m, info, tree map[string]any) { tree["a"].(map[string]any)[""] = tree["b"].(map[string]any)[""] }, `both a file and a folder`},
		{"empty folder", false, func(m, info, tree map[string]any) { tree["e"] = map[string]any{} }, `is empty`},
		{"short root", false, func(m, info, tree map[string]any) { bigRoot(tree)["pieces root"] = "short" }, `pieces root is 5 bytes`},
		{"no root", false, func(m, info, tree map[string]any) { delete(bigRoot(tree), "pieces root") }, `no pieces root`},
		{"negative length", false, func(m, info, tree map[string]any) { bigRoot(tree)["length"] = int64(-1) }, `negative`},
		{"bad layer", false, func(m, info, tree map[string]any) {
			for k, v := range m["piece layers"].(map[string]any) {
				b := []byte(v.(string))
				b[0] ^= 1
				m["piece layers"].(map[string]any)[k] = string(b)
			}
		}, `does not hash to that root`},
		{"short layer", false, func(m, info, tree map[string]any) {
			for k, v := range m["piece layers"].(map[string]any) {
				m["piece layers"].(map[string]any)[k] = v.(string)[32:]
			}
		}, `want 192`},
		{"layer for no file", false, func(m, info, tree map[string]any) {
			m["piece layers"].(map[string]any)[strings.Repeat("x", 32)] = strings.Repeat("y", 32)
		}, `not the root of any file`},
		{"not power of two", false, func(m, info, tree map[string]any) { info["piece length"] = int64(3 * 16384) }, `power of two`},
		{"meta version 3", false, func(m, info, tree map[string]any) { info["meta version"] = int64(3) }, `meta version 3`},
		{"hybrid length differs", true, func(m, info, tree map[string]any) {
			tree["b"].(map[string]any)[""].(map[string]any)["length"] = int64(4)
		}, `differs from v2 file`},
		{"hybrid name differs", true, func(m, info, tree map[string]any) {
			tree["x"] = tree["c"]
			delete(tree, "c")
		}, `differs from v2 file`},
		{"hybrid extra v2 file", true, func(m, info, tree map[string]any) {
			tree["d"] = tree["c"]
		}, `not in the v1 files`},
		{"hybrid unaligned", true, func(m, info, tree map[string]any) {
			files := info["files"].([]any)
			// Without the pad after big, b starts mid-piece; the pad after
			// b keeps the piece count.
			info["files"] = append(files[:1:1], files[2:]...)
		}, `does not start on a piece`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, info, tree := fixture(tc.hybrid)
			tc.breakf(m, info, tree)
			_, err := Parse(encode(t, m))
			if !errors.Is(err, ErrBadTorrent) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want ErrBadTorrent mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseMagnet_V2(t *testing.T) {
	v2 := strings.Repeat("ab", 32)
	m, err := ParseMagnet("magnet:?xt=urn:btmh:1220" + strings.ToUpper(v2) + "&dn=x")
	if err != nil {
		t.Fatal(err)
	}
	if !m.V2Only || m.InfoHash != Truncated(m.InfoHashV2) || m.InfoHashV2[0] != 0xab {
		t.Fatalf("v2-only magnet: %+v", m)
	}
	if s := m.String(); s != "magnet:?xt=urn:btmh:1220"+v2+"&dn=x" {
		t.Fatalf("String = %q", s)
	}
	ih := "0123456789abcdef0123456789abcdef01234567"
	h, err := ParseMagnet("magnet:?xt=urn:btmh:1220" + v2 + "&xt=urn:btih:" + ih)
	if err != nil || h.V2Only || h.InfoHash[0] != 0x01 || h.InfoHashV2[31] != 0xab {
		t.Fatalf("hybrid magnet: %+v, %v", h, err)
	}
	if s := h.String(); s != "magnet:?xt=urn:btih:"+ih+"&xt=urn:btmh:1220"+v2 {
		t.Fatalf("String = %q", s)
	}
}
