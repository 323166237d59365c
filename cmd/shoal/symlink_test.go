package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeed_FollowsUserSymlinks: data whose files and folders are symlinks
// (some to outside the shared folder) is seeded, both from a .torrent with
// --data and as a folder; a leecher gets the linked bytes; the log says once
// that links lead outside.
func TestSeed_FollowsUserSymlinks(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig", "dataset")
	writeTree(t, orig, map[string]int{"a.bin": 200_000, "nested/deep/c.dat": 50_000, "own.txt": 10})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", orig, "-o", tor, "--piece-length", "16KiB"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	// The same content, as links: a file and a folder leading outside.
	linked := filepath.Join(dir, "linked", "dataset")
	os.MkdirAll(linked, 0o755)
	os.Symlink(filepath.Join(orig, "a.bin"), filepath.Join(linked, "a.bin"))
	os.Symlink(filepath.Join(orig, "nested"), filepath.Join(linked, "nested"))
	copyFile(t, filepath.Join(orig, "own.txt"), filepath.Join(linked, "own.txt"))

	for _, tt := range []struct {
		name string
		args []string
	}{
		{"torrent with --data", []string{"seed", tor, "--data", filepath.Dir(linked)}},
		{"folder", []string{"seed", linked, "--piece-length", "16KiB"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", t.TempDir(), "--log-level", "info")
			p := shoalStart(t, args...)
			magnet := p.waitFor(t, `Magnet with this peer: (\S+)`, 30*time.Second)[1]
			out := t.TempDir()
			code, stdout, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
				"--state-dir", t.TempDir())
			if code != 0 {
				t.Fatalf("get from a seed of linked data: exit %d\n%s\n%s\nseed:\n%s", code, stdout, stderr, p.err.String())
			}
			sameTree(t, orig, filepath.Join(out, "dataset"))
			if n := strings.Count(p.err.String(), "symlinks that lead outside"); n != 1 {
				t.Errorf("the seed's log says %d times that links lead outside, want once:\n%s", n, p.err.String())
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
