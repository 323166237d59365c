package swarm_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestDial_FromListenAddress: a leecher listening on 127.0.0.5 dials its
// seed from 127.0.0.5, so the seed (and any tracker) sees the address
// where it accepts connections, not whichever the system picks.
func TestDial_FromListenAddress(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 51, testnet.File{Path: "a.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.5:0"})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	ts := testnet.WaitFor(t, s1, ih, 5*time.Second, "the leecher in the seed's totals", func(ts swarm.TorrentSnapshot) bool {
		return len(ts.PeerTotals) > 0
	})
	for _, p := range ts.PeerTotals {
		if a, err := netip.ParseAddrPort(p.Addr); err != nil || a.Addr() != netip.MustParseAddr("127.0.0.5") {
			t.Errorf("the seed saw a connection from %s; want 127.0.0.5, the leecher's listen address", p.Addr)
		}
	}
}

// TestDial_SeedDialsPeersTheTrackerNamesLater: a seed learns of a leecher
// only from a tracker re-announce, after its own first announce, and the
// leecher never dials (as clients that ignore loopback or duplicate-IP
// peers from trackers do). The seed dials it and the download completes.
func TestDial_SeedDialsPeersTheTrackerNamesLater(t *testing.T) {
	swarm.SetMinAnnounceInterval(200 * time.Millisecond)
	t.Cleanup(func() { swarm.SetMinAnnounceInterval(10 * time.Second) })
	tr := testnet.StartTracker(t)
	tr.SetInterval(30 * time.Minute) // as most trackers: the seed must not wait for it
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 52, testnet.File{Path: "a.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 32<<10, tr.URL)
	s1, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitFor(t, s1, ih, 10*time.Second, "the seed's first announce", func(ts swarm.TorrentSnapshot) bool {
		return tr.Peers(ih) == 1
	})
	l := testnet.StartSession(t, swarm.Config{})
	swarm.SetNoDial(l)
	dst := leech(t, l, swarm.AddOptions{Torrent: tor})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	for _, p := range ts.PeerTotals {
		if !strings.HasPrefix(p.Addr, "127.0.0.1:") || p.Downloaded == 0 {
			continue
		}
		return
	}
	t.Errorf("no data from the seed: %+v", ts.PeerTotals)
}
