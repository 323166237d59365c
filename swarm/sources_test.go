package swarm_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// memDHT is a shared in-memory stand-in for the DHT: announce stores the
// caller and returns the others.
type memDHT struct {
	mu    sync.Mutex
	peers map[[20]byte][]netip.AddrPort
	calls int
}

type dhtNode struct {
	d  *memDHT
	me netip.Addr
}

func (n dhtNode) Announce(_ context.Context, ih [20]byte, port int) ([]netip.AddrPort, error) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	n.d.calls++
	me := netip.AddrPortFrom(n.me, uint16(port))
	out := slices.DeleteFunc(slices.Clone(n.d.peers[ih]), func(a netip.AddrPort) bool { return a == me })
	if !slices.Contains(n.d.peers[ih], me) {
		n.d.peers[ih] = append(n.d.peers[ih], me)
	}
	return out, nil
}

func TestDHT_DiscoveryOnly(t *testing.T) {
	t.Parallel()
	d := &memDHT{peers: map[[20]byte][]netip.AddrPort{}}
	node := dhtNode{d: d, me: netip.MustParseAddr("127.0.0.1")}
	src, root := payload(t, 12, testnet.File{Path: "d.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10)
	_, ih := seed(t, src, tor, swarm.Config{DHT: node})
	deadline := time.Now().Add(5 * time.Second)
	for {
		d.mu.Lock()
		n := len(d.peers[ih])
		d.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("seed never announced to the DHT")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l := testnet.StartSession(t, swarm.Config{DHT: node})
	m := &pieces.Magnet{InfoHash: ih}
	dst := leech(t, l, swarm.AddOptions{Magnet: m})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Sources.DHT == 0 {
		t.Errorf("sources = %+v, want a DHT peer", ts.Sources)
	}
}

func TestDHT_NeverForPrivate(t *testing.T) {
	t.Parallel()
	d := &memDHT{peers: map[[20]byte][]netip.AddrPort{}}
	src, root := payload(t, 13, testnet.File{Path: "p.bin", Size: 100_000})
	tor, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 16 << 10, Private: true})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, src, tor, swarm.Config{DHT: dhtNode{d: d, me: netip.MustParseAddr("127.0.0.1")}})
	time.Sleep(300 * time.Millisecond)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls != 0 {
		t.Fatalf("private torrent announced to the DHT %d times", d.calls)
	}
}

// PEX: C knows only B; B tells C about A (and A about C).
func testPEX(t *testing.T, private bool) (learned bool) {
	src, root := payload(t, 14, testnet.File{Path: "x.bin", Size: 2 << 20})
	tor, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 16 << 10, Private: private})
	if err != nil {
		t.Fatal(err)
	}
	a, ih := seed(t, src, tor, swarm.Config{})
	// B and C are slow so both are still downloading when PEX is sent
	// (a seed drops its connections to other seeds).
	b := testnet.StartSession(t, swarm.Config{DownLimitBps: 256 << 10})
	leech(t, b, swarm.AddOptions{Torrent: tor, Peers: []string{a.Addr().String()}})
	testnet.WaitFor(t, b, ih, 5*time.Second, "B connected", func(ts swarm.TorrentSnapshot) bool { return ts.PeersConnected > 0 })
	c := testnet.StartSession(t, swarm.Config{DownLimitBps: 256 << 10})
	leech(t, c, swarm.AddOptions{Torrent: tor, Peers: []string{b.Addr().String()}})
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		ts, _ := testnet.Find(c, ih)
		// Either side may dial once PEX told B's peers about each other.
		if len(ts.PeerTotals) >= 2 {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts, _ := testnet.Find(c, ih)
	tb, _ := testnet.Find(b, ih)
	t.Logf("C: sources %+v totals %+v; B peers %+v", ts.Sources, ts.PeerTotals, tb.Peers)
	return false
}

func TestPEX_LearnsPeers(t *testing.T) {
	t.Parallel()
	if !testPEX(t, false) {
		t.Fatal("C never connected to A through PEX")
	}
}

func TestPEX_NeverForPrivate(t *testing.T) {
	t.Parallel()
	if testPEX(t, true) {
		t.Fatal("private torrent: C learned A, so PEX was used")
	}
}

func TestSession_PauseResumeRemove(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 15, testnet.File{Path: "q.bin", Size: 2 << 20})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{DownLimitBps: 1 << 20})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	testnet.WaitFor(t, l, ih, 10*time.Second, "progress", func(ts swarm.TorrentSnapshot) bool { return ts.DoneBytes > 0 })
	if err := l.Pause(ih); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, l, ih, 5*time.Second, "paused", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StatePaused && ts.PeersConnected == 0
	})
	if err := l.Resume(ih); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	if err := l.Remove(ih, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := testnet.Find(l, ih); ok {
		t.Fatal("removed torrent still in snapshot")
	}
	if err := l.Pause(ih); err == nil {
		t.Fatal("Pause of a removed torrent succeeded")
	}
	if entries, _ := filepath.Glob(filepath.Join(dst, "*")); len(entries) != 0 {
		t.Fatalf("data not deleted: %v", entries)
	}
}

func TestSession_StalledDiagnosis(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 16, testnet.File{Path: "s.bin", Size: 50_000})
	tor := testnet.Create(t, root, 16<<10)
	_ = src
	l := testnet.StartSession(t, swarm.Config{})
	ih, err := l.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// A second torrent whose only peer refuses connections.
	src2, root2 := payload(t, 23, testnet.File{Path: "s2.bin", Size: 50_000})
	_ = src2
	tor2 := testnet.Create(t, root2, 16<<10)
	ih2, err := l.Add(t.Context(), swarm.AddOptions{Torrent: tor2, Dir: t.TempDir(), Peers: []string{deadAddr(t)}})
	if err != nil {
		t.Fatal(err)
	}
	// A third whose only tracker is down.
	_, root3 := payload(t, 24, testnet.File{Path: "s3.bin", Size: 50_000})
	tor3 := testnet.Create(t, root3, 16<<10, "http://"+deadAddr(t)+"/announce")
	ih3, err := l.Add(t.Context(), swarm.AddOptions{Torrent: tor3, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, l, ih, 10*time.Second, "stalled: no sources", func(ts swarm.TorrentSnapshot) bool {
		return strings.HasPrefix(ts.Stalled, "no way to find peers: ") && ts.Stall == swarm.StallNoPeerSources
	})
	testnet.WaitFor(t, l, ih3, 10*time.Second, "stalled: tracker down", func(ts swarm.TorrentSnapshot) bool {
		return strings.HasPrefix(ts.Stalled, "tracker unreachable: ") && ts.Stall == swarm.StallTrackerUnreachable
	})
	testnet.WaitFor(t, l, ih2, 10*time.Second, "stalled: none connect", func(ts swarm.TorrentSnapshot) bool {
		return ts.Stalled == "peers found but none connect" && ts.Stall == swarm.StallPeersUnreachable
	})
}

// emptyDHT is a DHT node that reaches nobody.
type emptyDHT struct{}

func (emptyDHT) Announce(context.Context, [20]byte, int) ([]netip.AddrPort, error) {
	return nil, errors.New("no nodes")
}
func (emptyDHT) DHTSnapshot() swarm.DHTSnapshot { return swarm.DHTSnapshot{Enabled: true} }

func TestSession_StalledNoDHTNodes(t *testing.T) {
	t.Parallel()
	l := testnet.StartSession(t, swarm.Config{DHT: emptyDHT{}})
	ih, err := l.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: [20]byte{1, 2, 3}}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, l, ih, 10*time.Second, "stalled: no DHT nodes", func(ts swarm.TorrentSnapshot) bool {
		return strings.HasPrefix(ts.Stalled, "no DHT nodes reachable") && ts.Stall == swarm.StallNoDHTNodes
	})
}

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func TestMSE_Encryption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		seed, leech swarm.Encryption
		encrypted   bool
	}{
		{"require-prefer", swarm.EncryptionRequire, swarm.EncryptionPrefer, true},
		{"require-allow-retries", swarm.EncryptionRequire, swarm.EncryptionAllow, true},
		{"allow-allow-plain", swarm.EncryptionAllow, swarm.EncryptionAllow, false},
		{"prefer-to-allow-seed", swarm.EncryptionAllow, swarm.EncryptionRequire, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, root := payload(t, 17, testnet.File{Path: "e.bin", Size: 2 << 20})
			tor := testnet.Create(t, root, 16<<10)
			s1, ih := seed(t, src, tor, swarm.Config{Encryption: tc.seed})
			l := testnet.StartSession(t, swarm.Config{Encryption: tc.leech, DownLimitBps: 2 << 20})
			dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
			var enc, seen bool
			testnet.WaitFor(t, l, ih, 30*time.Second, "complete", func(ts swarm.TorrentSnapshot) bool {
				for _, p := range ts.Peers {
					enc, seen = p.Encrypted, true
				}
				return ts.State == swarm.StateSeeding
			})
			if !seen {
				t.Fatal("never saw the peer in a snapshot")
			}
			testnet.SameTree(t, root, filepath.Join(dst, "payload"))
			if enc != tc.encrypted {
				t.Errorf("encrypted = %v, want %v", enc, tc.encrypted)
			}
		})
	}
}
