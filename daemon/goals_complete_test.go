package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// A torrent downloaded by magnet from a real seed is moved into
// complete_dir once verified, byte for byte, keeps its number, and seeds
// from there; a torrent seeded from disk is not moved.
func TestCompleteDir_MovesDownloadsOnly(t *testing.T) {
	dl := t.TempDir()
	d, _ := newTestDaemon(t, dl, HTTPAuth{})
	done := filepath.Join(t.TempDir(), "done")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.RunCompleteDir(ctx, done); err != nil {
			t.Errorf("RunCompleteDir: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	// A seed elsewhere, with its own session.
	src := t.TempDir()
	tor := makeTorrent(t, src, "fetched")
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	seed, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	wg.Go(func() { seed.Run(sctx) })
	t.Cleanup(scancel)
	if _, err := seed.Add(sctx, swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	// And one the daemon seeds from disk itself.
	local := makeTorrent(t, dl, "local")
	if _, err := d.Add(ctx, AddRequest{Metainfo: local.Bytes(), Dir: dl}, Local); err != nil {
		t.Fatal(err)
	}

	a, err := d.Add(ctx, AddRequest{Source: tor.Magnet(seed.Addr().String())}, Local)
	if err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	waitFor(t, "the download to land in complete_dir and seed", 60*time.Second, func() bool {
		ts := d.snapshotOf(ih)
		return ts != nil && ts.DataDir == done && ts.State == swarm.StateSeeding
	})
	want, _ := os.ReadFile(filepath.Join(src, "fetched", "f.bin"))
	if got, err := os.ReadFile(filepath.Join(done, "fetched", "f.bin")); err != nil || !bytes.Equal(got, want) {
		t.Errorf("complete_dir/fetched/f.bin: %d bytes, %v; want the seed's %d bytes", len(got), err, len(want))
	}
	if _, err := os.Stat(filepath.Join(dl, "fetched")); !os.IsNotExist(err) {
		t.Errorf("the download folder still has fetched/: %v", err)
	}
	if id := d.ID(ih); id != a.ID {
		t.Errorf("the moved torrent is #%d, was #%d", id, a.ID)
	}
	if es, _ := d.lib.Load(); len(es) != 2 {
		t.Errorf("library: %+v", es)
	} else {
		for _, e := range es {
			if e.InfoHash == hexOf(ih) && e.Dir != done {
				t.Errorf("library keeps %s for the moved torrent, want %s", e.Dir, done)
			}
		}
	}
	if ts := d.snapshotOf(swarm.InfoHash(local.InfoHash)); ts == nil || ts.DataDir != dl {
		t.Errorf("the torrent seeded from disk moved: %+v", ts)
	}
}
