package swarm_test

import (
	"testing"

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
