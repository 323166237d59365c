package pieces

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
)

// infoDict builds a valid two-file info dict as a map that tests then spoil.
func infoDict() map[string]any {
	return map[string]any{
		"name":         "root",
		"piece length": int64(16 << 10),
		"pieces":       strings.Repeat("x", 40), // 20000 bytes = 2 pieces
		"files": []any{
			map[string]any{"length": int64(10000), "path": []any{"a", "b.txt"}},
			map[string]any{"length": int64(10000), "path": []any{"c.txt"}},
		},
	}
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := bencode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withFiles(paths ...[]any) map[string]any {
	m := infoDict()
	var files []any
	for _, p := range paths {
		files = append(files, map[string]any{"length": int64(20000 / len(paths)), "path": p})
	}
	m["files"] = files
	return m
}

func TestParseInfo_Valid(t *testing.T) {
	info, err := ParseInfo(encode(t, infoDict()))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "root" || info.Length != 20000 || info.NumPieces() != 2 || len(info.Files) != 2 {
		t.Fatalf("got %+v", info)
	}
	if f := info.Files[1]; f.Offset != 10000 || joinPath(f.Path) != "c.txt" {
		t.Errorf("file 1 = %+v", f)
	}
	if info.PieceSize(1) != 20000-16384 {
		t.Errorf("last piece size %d", info.PieceSize(1))
	}
}

func TestParseInfo_Hostile(t *testing.T) {
	set := func(k string, v any) map[string]any { m := infoDict(); m[k] = v; return m }
	del := func(k string) map[string]any { m := infoDict(); delete(m, k); return m }
	for _, tt := range []struct {
		name   string
		raw    []byte
		unsafe bool   // must also match ErrUnsafePath
		want   string // substring of the error
	}{
		{"dotdot", encode(t, withFiles([]any{"..", "etc", "passwd"})), true, `component ".." escapes the download directory`},
		{"dotdot deep", encode(t, withFiles([]any{"a", "..", "..", "x"})), true, `escapes`},
		{"dot", encode(t, withFiles([]any{".", "x"})), true, `component "."`},
		{"empty component", encode(t, withFiles([]any{"a", "", "x"})), true, `is empty`},
		{"empty path", encode(t, withFiles([]any{})), true, `path is empty`},
		{"absolute", encode(t, withFiles([]any{"/etc/passwd"})), true, `path separator`},
		{"backslash", encode(t, withFiles([]any{`..\..\x`})), true, `path separator`},
		{"nul", encode(t, withFiles([]any{"a\x00b"})), true, `control character`},
		{"escape seq", encode(t, withFiles([]any{"a\x1b[2Jb"})), true, `control character`},
		{"bad utf8", encode(t, withFiles([]any{"a\xffb"})), true, `UTF-8`},
		{"drive", encode(t, withFiles([]any{"C:evil"})), true, `drive letter`},
		{"device", encode(t, withFiles([]any{"nul.txt"})), true, `device name`},
		{"long name", encode(t, withFiles([]any{strings.Repeat("a", 256)})), true, `longer than 255`},
		{"deep", encode(t, withFiles(func() []any {
			var p []any
			for range 65 {
				p = append(p, "d")
			}
			return p
		}())), true, `nested too deep`},
		{"name dotdot", encode(t, set("name", "..")), true, `name ".."`},
		{"name slash", encode(t, set("name", "a/b")), true, `path separator`},
		{"name empty", encode(t, set("name", "")), true, `is empty`},
		{"no name", encode(t, del("name")), false, `no name`},
		{"duplicate", encode(t, withFiles([]any{"a"}, []any{"a"})), false, `duplicate path`},
		{"file is dir", encode(t, withFiles([]any{"a"}, []any{"a", "b"})), false, `"a" is also a file`},
		{"dir is file", encode(t, withFiles([]any{"a", "b"}, []any{"a"})), false, `is also a directory`},
		{"negative length", encode(t, set("files", []any{map[string]any{"length": int64(-1), "path": []any{"a"}}})), false, `negative`},
		{"overflow", encode(t, set("files", []any{
			map[string]any{"length": int64(1 << 62), "path": []any{"a"}},
			map[string]any{"length": int64(1 << 62), "path": []any{"b"}},
			map[string]any{"length": int64(1 << 62), "path": []any{"c"}},
		})), false, `overflows`},
		{"near max total", encode(t, set("files", []any{
			map[string]any{"length": int64(1<<63 - 1 - 5), "path": []any{"a"}},
		})), false, `pieces, limit 2000000`},
		{"no files", encode(t, set("files", []any{})), false, `files is empty`},
		{"length and files", encode(t, set("length", int64(5))), false, `both length and files`},
		{"neither", encode(t, del("files")), false, `neither length nor files`},
		{"zero total", encode(t, withFiles([]any{"a"})), false, ``},
		{"piece length 0", encode(t, set("piece length", int64(0))), false, `piece length 0`},
		{"piece length odd", encode(t, set("piece length", int64(16385))), false, `piece length 16385`},
		{"piece length huge", encode(t, set("piece length", int64(128<<20))), false, `piece length`},
		{"pieces short", encode(t, set("pieces", strings.Repeat("x", 20))), false, `pieces is 20 bytes, want 40`},
		{"pieces ragged", encode(t, set("pieces", strings.Repeat("x", 41))), false, `pieces is 41 bytes`},
		{"no pieces", encode(t, del("pieces")), false, `no pieces`},
		{"v2 only", func() []byte { m := del("pieces"); m["meta version"] = int64(2); return encode(t, m) }(), false, `no file tree`},
		{"blake3 short", encode(t, set("files", []any{map[string]any{"length": int64(20000), "path": []any{"a"}, "blake3": "xx"}})), false, `blake3`},
		{"wrong type", encode(t, set("name", int64(3))), false, `bad torrent`},
		{"not a dict", []byte("le"), false, `not a dict`},
		{"duplicate keys", []byte("d4:name1:a4:name1:be"), false, `duplicate dict key "name"`},
		{"unsorted dup keys", []byte("d4:name1:a1:ai1e4:name1:be"), false, `duplicate dict key "name"`},
		{"trailing", append(encode(t, infoDict()), 'x'), false, `trailing`},
		{"deep nesting", []byte("d1:x" + strings.Repeat("l", 100) + strings.Repeat("e", 100) + "e"), false, `nested deeper`},
		{"leading zero", []byte("d1:xi01ee"), false, `leading zero`},
		{"truncated", encode(t, infoDict())[:50], false, `truncated`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "zero total" {
				m := infoDict()
				m["files"] = []any{map[string]any{"length": int64(0), "path": []any{"a"}}}
				m["pieces"] = ""
				tt.raw, tt.want = encode(t, m), "empty (0 bytes)"
			}
			_, err := ParseInfo(tt.raw)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadTorrent) {
				t.Errorf("%v does not wrap ErrBadTorrent", err)
			}
			if tt.unsafe != errors.Is(err, ErrUnsafePath) {
				t.Errorf("errors.Is(%v, ErrUnsafePath) = %v", err, !tt.unsafe)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseInfo_ErrorText(t *testing.T) {
	m := withFiles([]any{"ok"}, []any{"fine"}, []any{"x"}, []any{"..", "etc", "passwd"})
	m["files"].([]any)[3].(map[string]any)["length"] = int64(20000 - 3*5000)
	_, err := ParseInfo(encode(t, m))
	want := `bad torrent: file 3 path "../etc/passwd": component ".." escapes the download directory`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestFilesOfPiecesOf(t *testing.T) {
	// Files: a 0..16384 | empty at 16384 | b 16384..20000 | empty at 20000.
	m := infoDict()
	m["files"] = []any{
		map[string]any{"length": int64(16384), "path": []any{"a"}},
		map[string]any{"length": int64(0), "path": []any{"e1"}},
		map[string]any{"length": int64(3616), "path": []any{"b"}},
		map[string]any{"length": int64(0), "path": []any{"e2"}},
	}
	info, err := ParseInfo(encode(t, m))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ p, first, end int }{{0, 0, 1}, {1, 2, 3}} {
		if f, e := info.FilesOf(tt.p); f != tt.first || e != tt.end {
			t.Errorf("FilesOf(%d) = %d,%d want %d,%d", tt.p, f, e, tt.first, tt.end)
		}
	}
	for _, tt := range []struct{ f, first, end int }{{0, 0, 1}, {1, 1, 1}, {2, 1, 2}, {3, 1, 1}} {
		if f, e := info.PiecesOf(tt.f); f != tt.first || e != tt.end {
			t.Errorf("PiecesOf(%d) = %d,%d want %d,%d", tt.f, f, e, tt.first, tt.end)
		}
	}
}

func TestParse_Roundtrip(t *testing.T) {
	raw := encode(t, map[string]any{
		"announce":      "http://127.0.0.1:1/announce",
		"announce-list": []any{[]any{"http://127.0.0.1:1/announce", "udp://127.0.0.1:2"}, []any{"http://127.0.0.1:3/a"}},
		"comment":       "hi",
		"created by":    "test",
		"creation date": int64(1700000000),
		"info":          infoDict(),
	})
	tor, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tor.Announce) != 2 || len(tor.Announce[0]) != 2 || tor.Comment != "hi" || tor.CreationDate.Unix() != 1700000000 {
		t.Fatalf("got %+v", tor)
	}
	again, err := Parse(tor.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if again.InfoHash != tor.InfoHash || !bytes.Equal(again.Bytes(), tor.Bytes()) {
		t.Fatal("roundtrip changed the torrent")
	}
	if !bytes.Equal(tor.Bytes(), raw) {
		t.Errorf("canonical input not reproduced:\n%q\n%q", tor.Bytes(), raw)
	}
}

func TestParse_Hostile(t *testing.T) {
	for _, tt := range []struct{ name, raw, want string }{
		{"empty", "", "not a bencoded dict"},
		{"no info", "d8:announce3:urle", "no info dict"},
		{"info not dict", "d4:infoi3ee", "info is not a dict"},
		{"garbage", "d4:info", "truncated"},
	} {
		if _, err := Parse([]byte(tt.raw)); err == nil || !errors.Is(err, ErrBadTorrent) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrBadTorrent mentioning %q", tt.name, err, tt.want)
		}
	}
}
