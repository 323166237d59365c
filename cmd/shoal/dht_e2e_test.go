package main

import (
	"context"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/dht"
)

// startBootstrapNode runs a DHT node on loopback for other nodes to
// bootstrap from, as 'shoal dht' does on a LAN.
func startBootstrapNode(t *testing.T) string {
	t.Helper()
	n, err := dht.New(dht.Config{ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { n.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return n.Addr().String()
}

// TestGet_MagnetWithOnlyInfohashViaDHT: a magnet link that names nothing
// but the infohash finds the seed through a LAN bootstrap node, fetches the
// metadata from it and downloads.
func TestGet_MagnetWithOnlyInfohashViaDHT(t *testing.T) {
	boot := startBootstrapNode(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 400_000, "b/c.txt": 3000})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatal(errs)
	}
	src, err := loadSource(tor)
	if err != nil {
		t.Fatal(err)
	}
	seed := shoalStart(t, "seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui",
		"--dht-bootstrap", boot, "--state-dir", filepath.Join(dir, "seed-state"), "--progress-every", "100ms")
	seed.waitFor(t, ` seeding `, 30*time.Second)

	ih := src.infoHash()
	magnet := "magnet:?xt=urn:btih:" + hex.EncodeToString(ih[:])
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--progress-every", "500ms",
		"--dht-bootstrap", boot, "--state-dir", t.TempDir()}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("get by infohash only: exit %d\n%s\n%s\nseed:\n%s%s", code, stdout.String(), stderr.String(), seed.out.String(), seed.err.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}
