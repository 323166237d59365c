package daemon

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// A daemon seeding a 4 MiB torrent with a global ratio limit of 0.1 stops
// it once about a tenth is uploaded: the leecher never completes. The
// daemon's upload is capped so the goal is checked many times on the way
// (the assertion is about bytes, never about speed).
func TestGoals_RatioLimitStopsAfterATenth(t *testing.T) {
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log,
		UpLimitBps: 1 << 20, SampleEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	d, err := New(Config{Session: s, Library: &Library{Dir: state}, DownloadDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() { d.RunGoals(ctx, Goals{SeedRatio: 0.1, Every: 20 * time.Millisecond}) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	dir := t.TempDir()
	data := make([]byte, 4<<20)
	rand.Read(data)
	os.MkdirAll(filepath.Join(dir, "big"), 0o755)
	os.WriteFile(filepath.Join(dir, "big", "data.bin"), data, 0o644)
	tor, err := pieces.Create(ctx, filepath.Join(dir, "big"), pieces.CreateOptions{PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Add(ctx, AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	waitFor(t, "the daemon to seed", 30*time.Second, func() bool {
		ts := d.snapshotOf(ih)
		return ts != nil && ts.State == swarm.StateSeeding
	})

	l, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithCancel(context.Background())
	wg.Go(func() { l.Run(lctx) })
	t.Cleanup(lcancel)
	if _, err := l.Add(lctx, swarm.AddOptions{Torrent: tor, Dir: t.TempDir(), Peers: []string{s.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the goal to pause the torrent", 60*time.Second, func() bool {
		ts := d.snapshotOf(ih)
		return ts != nil && ts.State == swarm.StatePaused
	})
	ts := d.snapshotOf(ih)
	size := float64(len(data))
	f := float64(ts.Uploaded) / size
	t.Logf("paused after uploading %.3f of the torrent", f)
	if f < 0.1 || f > 0.4 {
		t.Errorf("paused after uploading %.2f of the torrent, want about a tenth (0.1 to 0.4)", f)
	}
	time.Sleep(300 * time.Millisecond)
	for _, lt := range l.Snapshot().Torrents {
		if lt.Verified || lt.DoneBytes == int64(size) {
			t.Errorf("the leecher completed although the seed stopped at its ratio")
		}
	}
	if es, _ := d.lib.Load(); len(es) != 1 || !es[0].Paused {
		t.Errorf("library after the goal: %+v; want the torrent remembered paused", es)
	}
	// The totals are kept for the next run.
	d2, err := New(Config{Session: s, Library: &Library{Dir: state}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if st := d2.settingsOf(hexOf(ih)); float64(st.UploadedBefore) < 0.1*size {
		t.Errorf("settings.json keeps %d bytes uploaded, want at least a tenth of %v", st.UploadedBefore, size)
	}
}

func TestGoals_Reached(t *testing.T) {
	seeded := &swarm.TorrentSnapshot{SizeBytes: 1000, Uploaded: 500, State: swarm.StateSeeding}
	for _, tt := range []struct {
		name string
		g    Goals
		st   TorrentSettings
		rt   runTotals
		want bool
	}{
		{"no goals", Goals{}, TorrentSettings{}, runTotals{}, false},
		{"global ratio reached", Goals{SeedRatio: 0.5}, TorrentSettings{}, runTotals{}, true},
		{"global ratio not yet", Goals{SeedRatio: 0.6}, TorrentSettings{}, runTotals{}, false},
		{"earlier runs count", Goals{SeedRatio: 0.6}, TorrentSettings{}, runTotals{up: 100}, true},
		{"own ratio overrides", Goals{SeedRatio: 0.1}, TorrentSettings{SeedRatio: 2}, runTotals{}, false},
		{"own unlimited", Goals{SeedRatio: 0.1}, TorrentSettings{SeedRatio: -1}, runTotals{}, false},
		{"downloaded is the base", Goals{SeedRatio: 0.4}, TorrentSettings{}, runTotals{down: 2000}, false},
		{"seed time", Goals{SeedTime: time.Hour}, TorrentSettings{}, runTotals{seeded: 3000, seedingRun: 10 * time.Minute}, true},
		{"own seed time", Goals{SeedTime: time.Minute}, TorrentSettings{SeedTimeSeconds: 7200}, runTotals{seedingRun: time.Hour}, false},
	} {
		if got := goalReached(tt.g, tt.st, &tt.rt, seeded) != ""; got != tt.want {
			t.Errorf("%s: reached = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Labels: given at add, replaced by set, listed with the rows, refused
// when no filter could type them.
func TestLabels_AddSetList(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	ctx := t.Context()
	a, err := d.Add(ctx, AddRequest{Metainfo: makeTorrent(t, dir, "tagged").Bytes(), Dir: dir, Labels: []string{" linux ", "iso", "linux"}}, Local)
	if err != nil {
		t.Fatal(err)
	}
	if rows := d.List(); len(rows) != 1 || len(rows[0].Labels) != 2 || rows[0].Labels[0] != "linux" || rows[0].Labels[1] != "iso" {
		t.Errorf("rows after add: %+v; want labels [linux iso]", rows)
	}
	ih, _ := d.Resolve(a.InfoHash)
	if err := d.Set(ih, SetRequest{Labels: &[]string{"done"}}); err != nil {
		t.Fatal(err)
	}
	if rows := d.List(); len(rows[0].Labels) != 1 || rows[0].Labels[0] != "done" {
		t.Errorf("labels after set: %q", rows[0].Labels)
	}
	if err := d.Set(ih, SetRequest{Labels: &[]string{"a,b"}}); err == nil {
		t.Error("a label with a comma was taken")
	}
	if _, err := d.Add(ctx, AddRequest{Metainfo: makeTorrent(t, dir, "other").Bytes(), Dir: dir, Labels: []string{"bad\x01"}}, Local); err == nil || len(d.List()) != 1 {
		t.Errorf("an add with a bad label: %v, %d torrents; want refused before adding", err, len(d.List()))
	}
}
