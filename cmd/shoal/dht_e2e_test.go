package main

import (
	"context"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
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
	createTorrent(t, data, tor)
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

// startDHTNetwork runs size DHT nodes on loopback, each joining through the
// first node and one other, and waits until every node knows a few others.
func startDHTNetwork(t *testing.T, size int) []*dht.Node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	quiet := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	var nodes []*dht.Node
	deadline := time.Now().Add(60 * time.Second)
	// Nodes join in batches, each batch once the last has settled: a node
	// learns of others mostly from who queries it, so joining all at once
	// leaves the first ones knowing few.
	for len(nodes) < size {
		joined := len(nodes)
		for range min(max(joined, 1), 25, size-joined) {
			cfg := dht.Config{ListenAddr: "127.0.0.1:0", Logger: quiet}
			if joined > 0 {
				for _, i := range []int{0, rand.IntN(joined), rand.IntN(joined)} {
					cfg.Bootstrap = append(cfg.Bootstrap, nodes[i].Addr().String())
				}
			}
			n, err := dht.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { n.Run(ctx) })
			nodes = append(nodes, n)
		}
		want := min(8, len(nodes)-1)
		for _, n := range nodes {
			for n.Stats().Nodes < want {
				if time.Now().After(deadline) {
					t.Fatalf("DHT node %v knows %d others, want %d, with %d nodes up", n.Addr(), n.Stats().Nodes, want, len(nodes))
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	return nodes
}

// TestGet_MagnetThrough200NodeDHT: the seed and the leecher each know two
// random nodes of a 200-node DHT and nothing else; the leecher, with only
// the infohash, finds the seed, fetches the metadata and downloads.
func TestGet_MagnetThrough200NodeDHT(t *testing.T) {
	start := time.Now()
	nodes := startDHTNetwork(t, 200)
	t.Logf("200 DHT nodes up in %v", time.Since(start).Round(time.Millisecond))
	pick := func() string {
		return nodes[rand.IntN(len(nodes))].Addr().String() + "," + nodes[rand.IntN(len(nodes))].Addr().String()
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000})
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor)
	src, _ := loadSource(tor)
	ih := src.infoHash()
	boot := strings.Split(pick(), ",")
	seed := shoalStart(t, "seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui", "--progress-every", "100ms",
		"--dht-bootstrap", boot[0], "--dht-bootstrap", boot[1], "--state-dir", filepath.Join(dir, "seed-state"))
	seed.waitFor(t, ` seeding `, 30*time.Second)

	boot = strings.Split(pick(), ",")
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"get", "magnet:?xt=urn:btih:" + hex.EncodeToString(ih[:]), "-o", filepath.Join(dir, "out"),
		"--listen", "127.0.0.1:0", "--no-tui", "--dht-bootstrap", boot[0], "--dht-bootstrap", boot[1],
		"--state-dir", t.TempDir()}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("magnet to verified download in %v", time.Since(began).Round(time.Millisecond))
	sameTree(t, data, filepath.Join(dir, "out", "dataset"))
}
