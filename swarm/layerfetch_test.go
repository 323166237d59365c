package swarm_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// v2Payload makes a v2-only torrent of a payload whose files need piece
// layers (two longer than a piece, one of them over 512 pieces so that
// its layer takes two hash requests) and one that does not.
func v2Payload(t *testing.T) (src, root string, tor *pieces.Torrent) {
	t.Helper()
	src = t.TempDir()
	root = testnet.WriteTree(t, filepath.Join(src, "payload"), 52,
		testnet.File{Path: "big.bin", Size: 600*16<<10 + 999},
		testnet.File{Path: "sub/mid.bin", Size: 5*16<<10 + 1},
		testnet.File{Path: "tiny", Size: 100},
	)
	made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: 16 << 10, Format: pieces.FormatV2})
	if err != nil {
		t.Fatal(err)
	}
	tor, err = pieces.Parse(made.Bytes())
	if err != nil || tor.Info.HasV1() || !tor.HasAllLayers() || len(tor.PieceLayers) != 2 {
		t.Fatalf("v2-only torrent: v1 %v, layers %d, %v", tor.Info.HasV1(), len(tor.PieceLayers), err)
	}
	return src, root, tor
}

// bare is tor without its piece layers, as a .torrent that lacks them.
func bare(t *testing.T, tor *pieces.Torrent) *pieces.Torrent {
	t.Helper()
	cp := *tor
	cp.PieceLayers = nil
	b, err := pieces.Parse(cp.Bytes())
	if err != nil || b.HasAllLayers() {
		t.Fatalf("bare torrent: %v, all layers %v", err, b.HasAllLayers())
	}
	return b
}

// TestV2_BtmhMagnet: a shoal leecher given only a btmh magnet (no btih)
// fetches the info dict from a shoal seed under the truncated v2
// infohash, then every file's piece layer by hash requests, and only then
// downloads; the bytes match. The layers are kept in the state dir: the
// same torrent added again without layers and without any peer opens and
// verifies the data from them.
func TestV2_BtmhMagnet(t *testing.T) {
	src, root, tor := v2Payload(t)
	s, ih := seed(t, src, tor, swarm.Config{})
	m, err := pieces.ParseMagnet("magnet:?xt=urn:btmh:1220" + strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	m.InfoHashV2, m.InfoHash = tor.InfoHashV2, pieces.Truncated(tor.InfoHashV2)
	m.Peers = []string{s.Addr().String()}
	if !m.V2Only || swarm.InfoHash(m.InfoHash) != ih {
		t.Fatalf("btmh magnet names %x, the seed %x", m.InfoHash, ih)
	}
	state := t.TempDir()
	l, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	dst := leech(t, l, swarm.AddOptions{Magnet: m})
	var sawLayers bool
	testnet.WaitFor(t, l, ih, 60*time.Second, "completion", func(ts swarm.TorrentSnapshot) bool {
		if ts.Stall == swarm.StallPieceLayers && strings.Contains(ts.Stalled, "of 2 files") {
			sawLayers = true
		}
		if ts.LayersTotal != 0 && (ts.LayersTotal != 2 || ts.State != swarm.StateMetadata) {
			t.Errorf("layers %d/%d in state %v", ts.LayersHave, ts.LayersTotal, ts.State)
		}
		return ts.State == swarm.StateSeeding && ts.DoneBytes == ts.WantedBytes
	})
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	t.Logf("saw the piece-layers stall line: %v", sawLayers)
	stop()

	again := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := again.Add(t.Context(), swarm.AddOptions{Torrent: bare(t, tor), Dir: dst}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, again, ih, 30*time.Second)
}

// TestV2_TorrentWithoutLayers: a v2-only .torrent without "piece layers"
// seeds from data on disk (the layers made from the files, which hash to
// their roots), and downloads from that seed: the leecher's layers come by
// hash requests first.
func TestV2_TorrentWithoutLayers(t *testing.T) {
	src, root, tor := v2Payload(t)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: bare(t, tor), Dir: src})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, ih, 30*time.Second)
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: bare(t, tor), Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

// TestV2_LayerLiarBanned: a v2 peer that answers hash requests with hashes
// that do not prove the file's root is banned, naming why; a peer that
// rejects every request is not. Without an honest peer the torrent waits, saying so;
// once an honest seed connects, the layers come from it and the download
// completes byte for byte.
func TestV2_LayerLiarBanned(t *testing.T) {
	src, root, tor := v2Payload(t)
	liar := startHostileV2(t, tor, func(p *rawPeer, req pieces.HashRequest) error {
		hs, err := pieces.ServeHashes(req, tor.PieceLayers[req.Root], tor.Info.PieceLength)
		if err != nil {
			return err
		}
		hs[len(hs)/2][7] ^= 1
		return p.send(22, pieces.HashesBytes(req, hs))
	})
	refuser := startHostileV2(t, tor, func(p *rawPeer, req pieces.HashRequest) error {
		return p.send(23, req.Bytes())
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: bare(t, tor), Peers: []string{liar.addr, refuser.addr}})
	ih := swarm.InfoHash(tor.InfoHash)
	ts := testnet.WaitFor(t, l, ih, 30*time.Second, "the liar banned", func(ts swarm.TorrentSnapshot) bool {
		return len(ts.Banned) > 0 && ts.PeersConnected == 1
	})
	if b := ts.Banned; len(b) != 1 || b[0].Addr != liar.addr || !strings.Contains(b[0].Reason, "do not prove its root") {
		t.Errorf("banned %+v, want only the liar, for hashes that do not prove the root", b)
	}
	if ts.State != swarm.StateMetadata || ts.Stall != swarm.StallPieceLayers || !strings.Contains(ts.Stalled, "0 of 2 files") {
		t.Errorf("without an honest peer: state %v, stalled %q", ts.State, ts.Stalled)
	}

	honest := testnet.StartSession(t, swarm.Config{})
	if _, err := honest.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{l.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts = testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if len(ts.Banned) != 1 {
		t.Errorf("banned %+v, want only the liar", ts.Banned)
	}
}

// startHostileV2 is startHostile for a v2 peer (reserved bit 0x10 of byte
// 7) that has no piece and answers hash requests with answer.
func startHostileV2(t *testing.T, tor *pieces.Torrent, answer func(p *rawPeer, req pieces.HashRequest) error) *hostile {
	t.Helper()
	return startHostileBits(t, tor, nil, 0x10, func(p *rawPeer) error {
		if err := p.send(pp.HaveNone, nil); err != nil {
			return err
		}
		for {
			typ, b, err := p.read()
			if err != nil {
				return err
			}
			if typ != 21 {
				continue
			}
			req, err := pieces.ParseHashRequest(b)
			if err != nil {
				return err
			}
			if err := answer(p, req); err != nil {
				return err
			}
		}
	})
}
