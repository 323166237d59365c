package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/netns"
)

// TestLAN_GetFindsSeedByMulticast runs 'shoal seed --lan' and 'shoal get
// --lan' in two network namespaces the test makes, so the multicast stays
// there: with no tracker and no DHT, the leecher finds the seed by local
// service discovery alone.
func TestLAN_GetFindsSeedByMulticast(t *testing.T) {
	bin := shoalBinary(t)
	a, b := netns.Pair(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 500_000, "n/b.txt": 1234})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatal(errs)
	}
	src, _ := loadSource(tor)
	ih := src.infoHash()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	env := append(os.Environ(), "XDG_STATE_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	seed := a.Command(ctx, bin, "seed", tor, "--data", dir, "--lan", "--lan-iface", netns.Dev, "--no-dht", "--no-tui",
		"--listen", a.Addr.String()+":0", "--state-dir", filepath.Join(dir, "seed-state"))
	seed.Env = env
	var seedOut syncBuffer
	seed.Stdout, seed.Stderr = &seedOut, &seedOut
	if err := seed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seed.Process.Kill(); seed.Wait() })

	out := t.TempDir()
	get := b.Command(ctx, bin, "get", "magnet:?xt=urn:btih:"+hex.EncodeToString(ih[:]), "-o", out, "--lan",
		"--lan-iface", netns.Dev, "--no-dht", "--no-tui", "--listen", b.Addr.String()+":0", "--state-dir", t.TempDir())
	get.Env = env
	if b, err := get.CombinedOutput(); err != nil {
		t.Fatalf("get --lan: %v\n%s\nseed:\n%s", err, b, seedOut.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}
