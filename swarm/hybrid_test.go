package swarm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
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

// TestHybrid_BothNames: a seed of a hybrid torrent announces it to the
// tracker under its v1 infohash and its truncated v2 one, and answers a
// handshake on either with the name the peer used; then a leecher that
// knows it only by a hybrid magnet downloads it.
func TestHybrid_BothNames(t *testing.T) {
	tr := testnet.StartTracker(t)
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 3,
		testnet.File{Path: "a.bin", Size: 300_001},
		testnet.File{Path: "b/c.bin", Size: 40_000},
	)
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 32 << 10, Trackers: []string{tr.URL}, Format: pieces.FormatHybrid})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := pieces.Parse(made.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v2 := pieces.Truncated(tor.InfoHashV2)
	s, ih := seed(t, src, tor, swarm.Config{})
	if ih != swarm.InfoHash(tor.InfoHash) {
		t.Fatalf("seed added as %x, want the v1 infohash %x", ih, tor.InfoHash)
	}
	for deadline := time.Now().Add(30 * time.Second); tr.Peers(tor.InfoHash) == 0 || tr.Peers(v2) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tracker has %d peers for the v1 infohash, %d for the truncated v2 one; want the seed in both",
				tr.Peers(tor.InfoHash), tr.Peers(v2))
		}
	}

	for _, name := range [][20]byte{tor.InfoHash, v2} {
		handshakeAs(t, s.Addr().String(), name)
	}

	m, err := pieces.ParseMagnet(tor.Magnet(s.Addr().String()))
	if err != nil || m.InfoHashV2 != tor.InfoHashV2 {
		t.Fatalf("hybrid magnet: %+v, %v", m, err)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	if _, err := l.Add(t.Context(), swarm.AddOptions{Magnet: m, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

// TestHybrid_ServesHashRequests: a v2 peer asking a hybrid seed for a
// file's piece layer (BEP 52 hash request) gets hashes that prove against
// the file's root; a request for the leaves of a piece is answered from
// its data, one for leaves across two pieces gets a hash reject; one with
// a length that is not a power of two ends the connection.
func TestHybrid_ServesHashRequests(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 4, testnet.File{Path: "a.bin", Size: 5*32<<10 + 7})
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 32 << 10, Format: pieces.FormatHybrid})
	if err != nil {
		t.Fatal(err)
	}
	tor, _ := pieces.Parse(made.Bytes())
	f := tor.Info.Files[0]
	s, _ := seed(t, src, tor, swarm.Config{})

	c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	v2 := pieces.Truncated(tor.InfoHashV2)
	hs := append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x14"), v2[:]...)
	c.Write(append(hs, []byte("-XX0000-hashrequest1")...))
	if _, err := io.ReadFull(c, make([]byte, 68)); err != nil {
		t.Fatal(err)
	}
	send := func(id byte, payload []byte) {
		msg := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
		c.Write(append(append(msg, id), payload...))
	}
	// next returns the next message of type 22 or 23.
	next := func() (byte, []byte) {
		for {
			var hdr [4]byte
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				t.Fatalf("reading the seed's answer: %v", err)
			}
			b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatal(err)
			}
			if len(b) > 0 && (b[0] == 22 || b[0] == 23) {
				return b[0], b[1:]
			}
		}
	}
	req := pieces.HashRequest{Root: pieces.Hash32(f.Root), BaseLayer: pieces.PieceLayerIndex(32 << 10), Index: 0, Length: 8, ProofLayers: 10}
	send(21, req.Bytes())
	id, payload := next()
	if id != 22 {
		t.Fatalf("hash request for the piece layer: message %d, want hashes (22)", id)
	}
	got, hashes, err := pieces.ParseHashes(payload)
	if err != nil || got != req {
		t.Fatalf("hashes: %+v, %v", got, err)
	}
	layer, err := pieces.VerifyHashes(req, hashes, pieces.Hash32(f.Root), f.Length, 32<<10)
	if err != nil || len(layer) != 6 {
		t.Fatalf("the seed's hashes: %d pieces, %v", len(layer), err)
	}

	leaves := pieces.LeafRequest(pieces.Hash32(f.Root), f.Length, 32<<10, 3)
	send(21, leaves.Bytes())
	id, payload = next()
	got, hashes, err = pieces.ParseHashes(payload)
	if id != 22 || err != nil || got != leaves {
		t.Fatalf("hash request for the leaves of piece 3: message %d, %v", id, err)
	}
	if _, err := pieces.VerifyLeaves(leaves, hashes, layer[3]); err != nil {
		t.Fatalf("the leaves of piece 3: %v", err)
	}
	across := pieces.HashRequest{Root: pieces.Hash32(f.Root), BaseLayer: 0, Index: 0, Length: 4, ProofLayers: 1}
	send(21, across.Bytes())
	if id, payload := next(); id != 23 || !bytes.Equal(payload, across.Bytes()) {
		t.Fatalf("hash request for leaves of two pieces: message %d, want a hash reject (23) of it", id)
	}

	send(21, pieces.HashRequest{Root: pieces.Hash32(f.Root), Length: 3}.Bytes())
	var one [1]byte
	for {
		_, err := c.Read(one[:])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal("a hash request of length 3 did not end the connection")
		}
		if err != nil {
			break // closed, as it should
		}
	}
}

// TestV2Only_LiarBanned: a v2-only torrent (no SHA-1s) downloads from an
// honest seed next to a raw peer that corrupts every block: its pieces
// fail their Merkle check, the liar is banned, and the bytes match.
func TestV2Only_LiarBanned(t *testing.T) {
	const pieceLen = 64 << 10
	src, root, data := onePayload(t, 46, "r.bin", 1<<20+12345)
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: pieceLen, Format: pieces.FormatV2})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := pieces.Parse(made.Bytes())
	if err != nil || tor.Info.HasV1() || !tor.HasAllLayers() {
		t.Fatalf("v2-only torrent: v1 %v, layers %v, %v", tor.Info.HasV1(), tor.HasAllLayers(), err)
	}
	honest, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 1 << 20})
	bad := startHostile(t, tor, data, corruptFrom(0))
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{bad.addr, honest.Addr().String()}})
	ts := testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	banned := false
	for _, b := range ts.Banned {
		if b.Addr != bad.addr {
			t.Errorf("honest peer banned: %+v", b)
		}
		banned = banned || b.Addr == bad.addr
	}
	if !banned {
		t.Errorf("the liar was not banned: %+v", ts.Banned)
	}
}

// TestHybrid_MagnetWithAnotherBtmh: a hybrid magnet whose btmh is not the
// v2 infohash of the torrent its btih names fails once the info arrives,
// saying so, rather than announce the wrong v2 name.
func TestHybrid_MagnetWithAnotherBtmh(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 5, testnet.File{Path: "a.bin", Size: 100_000})
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 32 << 10, Format: pieces.FormatHybrid})
	if err != nil {
		t.Fatal(err)
	}
	tor, _ := pieces.Parse(made.Bytes())
	s, ih := seed(t, src, tor, swarm.Config{})
	m := &pieces.Magnet{InfoHash: tor.InfoHash, InfoHashV2: pieces.InfoHashV2([]byte("another torrent")), Peers: []string{s.Addr().String()}}
	l := testnet.StartSession(t, swarm.Config{})
	if _, err := l.Add(t.Context(), swarm.AddOptions{Magnet: m, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitFor(t, l, ih, 30*time.Second, "an error", func(ts swarm.TorrentSnapshot) bool { return ts.State == swarm.StateError })
	if !strings.Contains(ts.Err, "btmh") {
		t.Errorf("error %q does not name the btmh", ts.Err)
	}
}

// handshakeAs handshakes with the session at addr under the infohash name,
// as a plain (unencrypted) peer would, and fails the test unless the
// answer names the same infohash.
func handshakeAs(t *testing.T, addr string, name [20]byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	hs := append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x00"), name[:]...)
	hs = append(hs, []byte("-XX0000-hybridtest01")...)
	if _, err := c.Write(hs); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 68)
	if _, err := io.ReadFull(c, reply); err != nil || !bytes.Equal(reply[28:48], name[:]) {
		t.Fatalf("handshake for %x: %v, reply names %x", name, err, reply[28:48])
	}
}

// TestHybrid_BtihMagnetLearnsV2Name: a leecher that started from a
// btih-only magnet of a hybrid learns its v2 name with the info: once it
// has the torrent, it is registered under the truncated v2 infohash at the
// tracker and in the DHT, and answers a handshake under that name.
func TestHybrid_BtihMagnetLearnsV2Name(t *testing.T) {
	tr := testnet.StartTracker(t)
	d := &memDHT{peers: map[[20]byte][]netip.AddrPort{}}
	node := dhtNode{d: d, me: netip.MustParseAddr("127.0.0.1")}
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 6, testnet.File{Path: "a.bin", Size: 200_001})
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 32 << 10, Format: pieces.FormatHybrid})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := pieces.Parse(made.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v2 := pieces.Truncated(tor.InfoHashV2)
	s, ih := seed(t, src, tor, swarm.Config{})

	l := testnet.StartSession(t, swarm.Config{DHT: node})
	m := &pieces.Magnet{InfoHash: tor.InfoHash, Trackers: []string{tr.URL}, Peers: []string{s.Addr().String()}}
	dst := leech(t, l, swarm.AddOptions{Magnet: m})
	testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))

	me := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), l.Addr().Port())
	inDHT := func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return slices.Contains(d.peers[v2], me)
	}
	for deadline := time.Now().Add(30 * time.Second); tr.Peers(v2) == 0 || !inDHT(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after the info arrived: %d peers at the tracker under the truncated v2 infohash, in the DHT under it: %v; want the leecher in both",
				tr.Peers(v2), inDHT())
		}
	}
	handshakeAs(t, l.Addr().String(), v2)
}
