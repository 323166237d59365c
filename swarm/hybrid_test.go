package swarm_test

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
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
		c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		hs := append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x00"), name[:]...)
		hs = append(hs, []byte("-XX0000-hybridtest01")...)
		if _, err := c.Write(hs); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 68)
		_, err = io.ReadFull(c, reply)
		c.Close()
		if err != nil || !bytes.Equal(reply[28:48], name[:]) {
			t.Fatalf("handshake for %x: %v, reply names %x", name, err, reply[28:48])
		}
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
