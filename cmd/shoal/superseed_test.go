package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seed --super-seed reaches the engine, which says it super-seeds, and a
// lone leecher gets every byte, two offered pieces at a time. (With
// --daemon: TestDaemon_SuperSeed.)
func TestSeedSuperSeed(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000, "sub/b.bin": 70_001})
	p := shoalStart(t, "seed", data, "--super-seed", "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", filepath.Join(dir, "state"), "--piece-length", "16KiB", "--log-level", "info")
	p.waitFor(t, `Super-seeding: each peer is offered two pieces`, 30*time.Second)
	p.waitFor(t, `Listening on (\S+);`, 30*time.Second)
	magnet := p.waitFor(t, `Magnet with this peer: (\S+)`, time.Second)[1]

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get from a super-seed: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
	// The engine says so when it starts super-seeding the torrent.
	if !strings.Contains(p.err.String(), "Super-seeding: offering each peer") {
		t.Errorf("the engine did not super-seed:\n%s", p.err.String())
	}

}

// aria2c downloads from a super-seed (it has nothing to show, then offers
// two pieces at a time), meeting it through the tracker only; the files
// must match byte for byte.
func TestInterop_Aria2DownloadsFromSuperSeed(t *testing.T) {
	_, seed := aria2DownloadsFromSeed(t, 120*time.Second, nil, []string{"--super-seed", "--log-level", "info"})
	if !strings.Contains(seed.err.String(), "Super-seeding: offering each peer") {
		t.Errorf("the engine did not super-seed:\n%s", seed.err.String())
	}
}
