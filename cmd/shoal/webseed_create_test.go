package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-bt/shoal/pieces"
)

// TestCreate_WebSeed: --web-seed writes url-list in order, and the magnet
// link create prints carries them as ws=.
func TestCreate_WebSeed(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	writeTree(t, data, map[string]int{"a": 100, "b/c": 200})
	tor := filepath.Join(dir, "d.torrent")
	code, out, errs := shoalRun(t, "create", data, "-o", tor, "--web-seed", "http://127.0.0.1:8080/pub/", "--web-seed", "https://mirror.example/x/")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	got, err := pieces.Load(tor)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://127.0.0.1:8080/pub/", "https://mirror.example/x/"}; !slices.Equal(got.WebSeeds, want) {
		t.Fatalf("url-list = %q, want %q", got.WebSeeds, want)
	}
	if !strings.Contains(out, "&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fpub%2F&ws=https%3A%2F%2Fmirror.example%2Fx%2F") {
		t.Fatalf("magnet printed without ws=:\n%s", out)
	}
}
