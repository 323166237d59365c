package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerify_SaysExactlyWhatIsWrong: sizes, a corrupted byte in a piece two
// files share, missing files, each named with exit 4 and counted as checked.
func TestVerify_SaysExactlyWhatIsWrong(t *testing.T) {
	for _, tt := range []struct {
		name    string
		damage  func(data string)
		want    []string // lines or parts of lines stdout must have
		notWant []string
	}{
		{"longer file", func(d string) { appendBytes(t, filepath.Join(d, "a.bin"), 100) },
			[]string{"a.bin: 100 bytes longer than the torrent says (40100 on disk, 40000 expected)"}, []string{"OK"}},
		{"shorter file", func(d string) { os.Truncate(filepath.Join(d, "c.bin"), 39000) },
			[]string{"c.bin: 1000 bytes shorter than the torrent says"}, []string{"OK"}},
		{"byte in a shared piece", func(d string) { flipByte(t, filepath.Join(d, "c.bin"), 0) },
			[]string{"c.bin: 1 piece(s) missing or wrong: 2; BLAKE3 digest differs", "2 of 3 file(s) good (1 bad); 3 checked with BLAKE3"},
			[]string{"b.txt", "a.bin"}},
		{"two files deleted", func(d string) { os.Remove(filepath.Join(d, "a.bin")); os.Remove(filepath.Join(d, "c.bin")) },
			[]string{"MISSING  ", "a.bin\n", "c.bin\n", "1 of 3 file(s) good (2 missing); 1 checked with BLAKE3"}, []string{"BAD"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "dataset")
			// Piece 2 (bytes 32768-49151) holds a.bin's tail, all of b.txt
			// and c.bin's head.
			writeTree(t, data, map[string]int{"a.bin": 40000, "b.txt": 100, "c.bin": 40000})
			tor := filepath.Join(dir, "d.torrent")
			if code, _, errs := shoalRun(t, "create", data, "-o", tor, "--piece-length", "16KiB"); code != 0 {
				t.Fatalf("create: %s", errs)
			}
			tt.damage(data)
			code, out, errs := shoalRun(t, "verify", dir, tor)
			if code != exitVerify {
				t.Errorf("exit %d, want %d\n%s%s", code, exitVerify, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			code, out, _ = shoalRun(t, "verify", "--json", dir, tor)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var v verdict
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil || v.Type != "verify" || v.OK || code != exitVerify {
				t.Errorf("verify --json: exit %d, last line %q (%v)", code, lines[len(lines)-1], err)
			}
		})
	}
}

func appendBytes(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, n))
	f.Close()
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 1
	os.WriteFile(path, b, 0o644)
}
