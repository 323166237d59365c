package swarm_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSnapshot_AddsStayLinear restores many torrents the way the daemon
// does at start, one Add after another, and counts the torrent snapshots
// copied into session snapshots meanwhile: rebuilding the whole session's
// snapshot on every Add made a restart of N torrents cost N²/2 copies (the
// daemon took over 15 minutes for 10,000). It counts work, not time.
func TestSnapshot_AddsStayLinear(t *testing.T) {
	const n = 300
	s := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	dir := t.TempDir()
	add := func(i int) swarm.InfoHash {
		var ih swarm.InfoHash
		ih[0], ih[1], ih[19] = byte(i>>8), byte(i), 0xAA
		if _, err := s.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: dir}); err != nil {
			t.Fatal(err)
		}
		return ih
	}
	before := swarm.TorrentSnapshotsCopied(s)
	for i := range n {
		add(i)
	}
	// A few rebuilds by the session's own readers are fine; one per Add
	// of every torrent so far is not.
	if got := swarm.TorrentSnapshotsCopied(s) - before; got > 4*n {
		t.Fatalf("%d adds copied %d torrent snapshots; want at most %d (linear in the adds)", n, got, 4*n)
	}
	if got := len(s.Snapshot().Torrents); got != n {
		t.Fatalf("Snapshot shows %d torrents after %d adds", got, n)
	}
	// The promise Add keeps: Snapshot shows a torrent as soon as Add returns.
	for i := n; i < n+5; i++ {
		ih := add(i)
		if _, ok := testnet.Find(s, ih); !ok {
			t.Fatalf("torrent %d missing from the Snapshot right after its Add", i)
		}
	}
}

// TestSnapshot_QuietSeedSkipsTicks: a seed with no peers has nothing new to
// show on a sample tick, so it builds no snapshot for it (10,000 idle seeds
// built 20,000 a second), though it still shows a command at once.
func TestSnapshot_QuietSeedSkipsTicks(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 3, testnet.File{Path: "a.bin", Size: 40000})
	tor := testnet.Create(t, filepath.Join(path, "a.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true, SampleEvery: 2 * time.Millisecond})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.Verified
	})
	time.Sleep(100 * time.Millisecond) // the start's last events, and rates back to 0
	ticks0, builds0 := swarm.TorrentTicks(s, ih)
	deadline := time.Now().Add(time.Minute)
	for {
		ticks, builds := swarm.TorrentTicks(s, ih)
		if ticks-ticks0 >= 100 {
			// One in 20 ticks refreshes it anyway; every tick did before.
			if b := builds - builds0; b > (ticks-ticks0)/4 {
				t.Fatalf("a quiet seed built %d snapshots in %d ticks", b, ticks-ticks0)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d ticks in a minute", ticks-ticks0)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Pause(ih); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s, ih); ts.State != swarm.StatePaused {
		t.Fatalf("after Pause the snapshot says %v", ts.State)
	}
}
