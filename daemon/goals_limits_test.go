package daemon

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func bigTorrent(t *testing.T, dir, name string, size int) *pieces.Torrent {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	os.MkdirAll(filepath.Join(dir, name), 0o755)
	os.WriteFile(filepath.Join(dir, name, "data.bin"), data, 0o644)
	tor, err := pieces.Create(context.Background(), filepath.Join(dir, name), pieces.CreateOptions{PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

// A torrent's own upload limit holds its upload to what the token bucket
// allows (burst plus rate times time: a bound, not a speed), while another
// torrent of the same daemon, with no limit of its own, is not held.
func TestLimits_PerTorrentUpload(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.RunGoals(ctx, Goals{Every: 20 * time.Millisecond}) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	slow, free := bigTorrent(t, dir, "slow", 4<<20), bigTorrent(t, dir, "free", 1<<20)
	for _, tor := range []*pieces.Torrent{slow, free} {
		if _, err := d.Add(ctx, AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
			t.Fatal(err)
		}
	}
	slowIH := swarm.InfoHash(slow.InfoHash)
	const limit = 256 << 10
	up := int64(limit)
	if err := d.Set(slowIH, SetRequest{UpLimitBps: &up}); err != nil {
		t.Fatal(err)
	}
	if st := d.settingsOf(hexOf(slowIH)); st.UpLimitBps != limit {
		t.Errorf("settings keep up limit %d, want %d", st.UpLimitBps, limit)
	}
	waitFor(t, "both to seed", 30*time.Second, func() bool {
		a, b := d.snapshotOf(slowIH), d.snapshotOf(swarm.InfoHash(free.InfoHash))
		return a != nil && b != nil && a.State == swarm.StateSeeding && b.State == swarm.StateSeeding
	})
	start := time.Now()
	leech(t, free, d.Session().Addr().String()) // not held by slow's limit
	startLeech(t, slow, d.Session().Addr().String())
	time.Sleep(time.Second)
	elapsed := time.Since(start)
	sent := d.snapshotOf(slowIH).Uploaded
	bound := int64(64<<10) + int64(elapsed.Seconds()*limit) + 2*16<<10 // burst, rate × time, blocks in flight
	if sent > bound {
		t.Errorf("with an own upload limit of %d B/s, %d bytes went out in %v; the bucket allows at most %d", limit, sent, elapsed, bound)
	}
	if sent == 0 {
		t.Error("nothing was uploaded of the limited torrent: the limit must slow, not stop")
	}
}
