package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMessages_SaidOnce: each bad input gets one message whose first line
// says what is wrong once, with no prefix repeated, and the right code.
func TestMessages_SaidOnce(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 20_000})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	b, _ := os.ReadFile(tor)
	trunc := filepath.Join(dir, "trunc.torrent")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	out := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(out, "dataset"), 0o755)
	os.WriteFile(filepath.Join(out, "dataset", "a.bin"), []byte("mine"), 0o644)
	missing := filepath.Join(dir, "nope.torrent")
	get := []string{"--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", filepath.Join(dir, "state")}

	for _, tt := range []struct {
		name  string
		args  []string
		code  int
		first string
	}{
		{"bad magnet", []string{"info", "magnet:?xt=urn:btih:zz"}, exitUsage,
			`shoal: bad magnet link: xt "urn:btih:zz": infohash is 2 characters, want 40 (hex) or 32 (base32)`},
		{"sha1 magnet", []string{"info", "magnet:?xt=urn:sha1:abc"}, exitUsage,
			`shoal: bad magnet link: xt "urn:sha1:abc" is not a BitTorrent infohash (want xt=urn:btih: and 40 hex digits)`},
		// btmh-only magnets download now (TestV2Only_GetSeed): what is left
		// to refuse is a btmh that is not a SHA-256 multihash.
		{"v2 magnet", append([]string{"get", "magnet:?xt=urn:btmh:1114" + strings.Repeat("ab", 20), "-o", out}, get...), exitUsage,
			`shoal: bad magnet link: xt "urn:btmh:1114` + strings.Repeat("ab", 20) + `": not a SHA-256 multihash (want 1220 and 64 hex digits)`},
		{"truncated torrent", []string{"info", trunc}, exitUsage, "shoal: " + trunc + ": bad torrent: "},
		{"missing torrent", []string{"info", missing}, exitNotFound,
			"shoal: " + missing + ": no such file (want a .torrent file or a magnet: link)"},
		{"existing file", append([]string{"get", tor, "-o", out}, get...), exitConflict,
			"shoal: " + filepath.Join(out, "dataset", "a.bin") + ": existing file differs from the torrent; pass --force to overwrite it, or -o to download elsewhere"},
		{"output exists", []string{"create", data, "-o", tor}, exitConflict,
			"shoal: " + tor + " exists; pass --force to overwrite it or -o to write elsewhere"},
		{"bad limit", append([]string{"get", tor, "--down-limit", "fast"}, get...), exitUsage,
			`shoal: --down-limit "fast": want a size such as 256KiB or 4MiB`},
		{"bad encryption", append([]string{"get", tor, "--encryption", "maybe"}, get...), exitUsage,
			`shoal: --encryption "maybe": want allow, prefer, require or off`},
		{"unknown command", []string{"fetch"}, exitUsage, `shoal: unknown command "fetch"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := shoalRun(t, tt.args...)
			first := strings.SplitN(stderr, "\n", 2)[0]
			if code != tt.code || !strings.HasPrefix(first, tt.first) {
				t.Errorf("exit %d, first line\n  %q\nwant exit %d and\n  %q", code, first, tt.code, tt.first)
			}
		})
	}
}

func TestTorrentError_NameOnce(t *testing.T) {
	for _, tt := range []struct{ name, msg, want string }{
		{"dataset", "create dataset: mkdirat dataset: file exists", "create dataset: mkdirat dataset: file exists"},
		{"dataset", "blake3 mismatch: a.bin", "dataset: blake3 mismatch: a.bin"},
		{"", "no space", "no space"},
	} {
		if got := torrentError(tt.name, tt.msg).Error(); got != tt.want {
			t.Errorf("torrentError(%q, %q) = %q, want %q", tt.name, tt.msg, got, tt.want)
		}
	}
}
