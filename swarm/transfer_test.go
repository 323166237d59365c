package swarm_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func payload(t *testing.T, seed uint64, files ...testnet.File) (src, root string) {
	t.Helper()
	src = t.TempDir()
	root = testnet.WriteTree(t, filepath.Join(src, "payload"), seed, files...)
	return src, root
}

// onePayload is payload with a single file, whose bytes it also returns
// (hostile peers serve them under wrong headers, tests compare them).
func onePayload(t *testing.T, seed uint64, name string, size int) (src, root string, data []byte) {
	t.Helper()
	src, root = payload(t, seed, testnet.File{Path: name, Size: size})
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return src, root, data
}

func leech(t *testing.T, s *swarm.Session, opts swarm.AddOptions) string {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if _, err := s.Add(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	return opts.Dir
}

func TestTransfer_SingleFile(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 2, testnet.File{Path: "one.iso", Size: 1<<20 + 4097})
	tor := testnet.Create(t, filepath.Join(path, "one.iso"), 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	s2 := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, s2, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	testnet.WaitComplete(t, s2, ih, 30*time.Second)
	testnet.SameTree(t, src, dst)
}

func TestTransfer_ThreeSeedsShareTheUpload(t *testing.T) {
	src, root := payload(t, 3, testnet.File{Path: "big.bin", Size: 6 << 20}, testnet.File{Path: "x/small.bin", Size: 12345})
	tor := testnet.Create(t, root, 32<<10)
	var seeds []*swarm.Session
	var addrs []string
	var ih swarm.InfoHash
	for range 3 {
		s, h := seed(t, src, tor, swarm.Config{})
		seeds, addrs, ih = append(seeds, s), append(addrs, s.Addr().String()), h
	}
	// Rate-limit the seeds so that no single one can finish the job
	// before the others have connected.
	l := testnet.StartSession(t, swarm.Config{DownLimitBps: 8 << 20})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: addrs})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if len(ts.PeerTotals) != 3 {
		t.Fatalf("leecher saw %d peers, want 3: %+v", len(ts.PeerTotals), ts.PeerTotals)
	}
	for k, s := range seeds {
		st := testnet.WaitFor(t, s, ih, 5*time.Second, "upload shown", func(ts swarm.TorrentSnapshot) bool { return ts.Uploaded > 0 })
		t.Logf("seed %d uploaded %d bytes", k, st.Uploaded)
	}
}

func TestTransfer_Chain(t *testing.T) {
	src, root := payload(t, 4, testnet.File{Path: "a", Size: 2 << 20}, testnet.File{Path: "b", Size: 333_333})
	tor := testnet.Create(t, root, 64<<10)
	a, ih := seed(t, src, tor, swarm.Config{})
	b := testnet.StartSession(t, swarm.Config{NoPEX: true})
	c := testnet.StartSession(t, swarm.Config{NoPEX: true})
	bDir := leech(t, b, swarm.AddOptions{Torrent: tor, Peers: []string{a.Addr().String()}})
	// C knows only B, which has nothing yet: it must take pieces as B gets them.
	cDir := leech(t, c, swarm.AddOptions{Torrent: tor, Peers: []string{b.Addr().String()}})
	testnet.WaitComplete(t, b, ih, 30*time.Second)
	ts := testnet.WaitComplete(t, c, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(bDir, "payload"))
	testnet.SameTree(t, root, filepath.Join(cDir, "payload"))
	if len(ts.PeerTotals) != 1 || ts.PeerTotals[0].Addr != b.Addr().String() {
		t.Errorf("C's peers = %+v, want only B", ts.PeerTotals)
	}
}

func TestTransfer_MagnetWithPeersOnly(t *testing.T) {
	src, root := payload(t, 5, testnet.File{Path: "m.bin", Size: 1 << 20}, testnet.File{Path: "n/o.txt", Size: 100})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	s2 := testnet.StartSession(t, swarm.Config{})
	m, err := pieces.ParseMagnet(tor.Magnet(s1.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	var metaEvent bool
	dst := leech(t, s2, swarm.AddOptions{Magnet: m})
	ts := testnet.WaitComplete(t, s2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Name != "payload" || ts.SizeBytes != tor.Info.Length {
		t.Errorf("snapshot name %q size %d", ts.Name, ts.SizeBytes)
	}
	for len(s2.Events()) > 0 {
		if ev := <-s2.Events(); ev.Kind == swarm.EventMetadata {
			metaEvent = true
		}
	}
	if !metaEvent {
		t.Error("no EventMetadata")
	}
}

func TestTransfer_CorruptSeedIsBanned(t *testing.T) {
	src, root := payload(t, 6, testnet.File{Path: "c.bin", Size: 3 << 20})
	tor := testnet.Create(t, root, 32<<10)
	bad := testnet.StartSession(t, swarm.Config{})
	swarm.SetCorruptUploads(bad)
	ih, err := bad.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{bad.Addr().String()}})
	badAddr := bad.Addr().String()
	testnet.WaitFor(t, l, ih, 10*time.Second, "the liar banned", func(ts swarm.TorrentSnapshot) bool {
		return slices.ContainsFunc(ts.Banned, func(b swarm.BannedPeer) bool { return b.Addr == badAddr })
	})
	// Honest seeds come to the leecher (as if through a tracker).
	for range 2 {
		s := testnet.StartSession(t, swarm.Config{})
		if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{l.Addr().String()}}); err != nil {
			t.Fatal(err)
		}
	}
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	for _, b := range ts.Banned {
		if b.Addr != badAddr {
			t.Errorf("honest peer banned: %+v", b)
		}
	}
	if ts.Wasted == 0 {
		t.Error("no wasted bytes counted for failed pieces")
	}
	if !slices.ContainsFunc(ts.PeerTotals, func(p swarm.PeerTotal) bool { return p.Addr == badAddr && p.Banned }) {
		t.Errorf("peer totals do not mark the liar banned: %+v", ts.PeerTotals)
	}
}

func TestTransfer_IPv6(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 21, testnet.File{Path: "six.bin", Size: 500_000})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{ListenAddr: "[::1]:0"})
	l := testnet.StartSession(t, swarm.Config{ListenAddr: "[::1]:0"})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if len(ts.PeerTotals) != 1 || !strings.HasPrefix(ts.PeerTotals[0].Addr, "[::1]:") {
		t.Errorf("peer totals = %+v", ts.PeerTotals)
	}
}
