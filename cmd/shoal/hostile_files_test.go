package main

import (
	"crypto/sha1"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
)

// TestHostileTorrents: crafted .torrent files are refused by info and get
// with exit 2 and a message naming the problem, and get writes nothing.
func TestHostileTorrents(t *testing.T) {
	piece := sha1.Sum([]byte("x"))
	file := func(length int64, path ...any) map[string]any {
		return map[string]any{"length": length, "path": path}
	}
	multi := func(files ...map[string]any) map[string]any {
		var list []any
		for _, f := range files {
			list = append(list, f)
		}
		return map[string]any{"name": "evil", "piece length": int64(16384), "pieces": string(piece[:]), "files": list}
	}
	single := func(name string, length, pieceLen int64, pieces string) map[string]any {
		return map[string]any{"name": name, "piece length": pieceLen, "pieces": pieces, "length": length}
	}
	for _, tt := range []struct {
		name string
		info map[string]any
		says string
	}{
		{"dotdot", multi(file(1, "..", "..", "etc", "cron.d", "x")), "escapes"},
		{"absolute", multi(file(1, "/etc/passwd")), "separator"},
		{"duplicate", multi(file(1, "a"), file(1, "a")), "duplicate"},
		{"bad utf-8", multi(file(1, "a\xff")), "UTF-8"},
		{"control chars", multi(file(1, "a\x1b[2J")), "control"},
		{"negative size", multi(file(-5, "a")), "negative"},
		{"huge size", single("big", 1<<62, 16384, string(piece[:])), "pieces"},
		{"bad piece length", single("odd", 1, 1000, string(piece[:])), "piece length"},
		{"zero piece length", single("zero", 1, 0, string(piece[:])), "piece length"},
		{"name dotdot", single("..", 1, 16384, string(piece[:])), `".."`},
		{"deep path", multi(file(1, func() []any {
			var p []any
			for range 100 {
				p = append(p, "d")
			}
			return p
		}()...)), "deep"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tor := filepath.Join(dir, "evil.torrent")
			b, err := bencode.Marshal(map[string]any{"announce": "http://127.0.0.1:1/announce", "info": tt.info})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tor, b, 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := shoalRun(t, "info", tor)
			if code != exitUsage || !strings.Contains(stderr, tt.says) {
				t.Errorf("info: exit %d, stderr %q; want %d saying %q", code, stderr, exitUsage, tt.says)
			}
			out := filepath.Join(dir, "out")
			code, _, stderr = shoalRun(t, "get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
				"--state-dir", filepath.Join(dir, "state"))
			if code != exitUsage || !strings.Contains(stderr, tt.says) {
				t.Errorf("get: exit %d, stderr %q; want %d saying %q", code, stderr, exitUsage, tt.says)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("get wrote %v for a refused torrent", entries)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 3 {
				t.Errorf("something was written next to the download dir: %v", entries)
			}
		})
	}
}
