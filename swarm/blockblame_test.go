package swarm_test

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestBlockBlame_V2: a v2-only and a hybrid torrent download from an
// honest shoal seed and a raw peer that lies in one block of pieces it
// shares with the seed (it leaves every piece's first block to the seed),
// after a first good piece has made it trusted. The failed piece's leaves (BEP 52 layer 0, served by the
// honest seed, checked against the piece layer) pin the bad block on the
// liar: it is banned for that block, the honest seed is not, and the
// bytes match.
func TestBlockBlame_V2(t *testing.T) {
	for _, format := range []pieces.Format{pieces.FormatV2, pieces.FormatHybrid} {
		t.Run(format.String(), func(t *testing.T) {
			const pieceLen = 64 << 10
			src, root, data := onePayload(t, 47, "b.bin", 3<<20+777)
			made, err := pieces.Create(t.Context(), root, pieces.CreateOptions{PieceLength: pieceLen, Format: format})
			if err != nil {
				t.Fatal(err)
			}
			tor, err := pieces.Parse(made.Bytes())
			if err != nil || !tor.HasAllLayers() {
				t.Fatalf("parse: %v", err)
			}
			honest, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 1 << 20})
			var bits byte
			if format == pieces.FormatV2 {
				bits = 0x10
			}
			liar := startHostileBits(t, tor, data, bits, lieInSharedPieces)
			l := testnet.StartSession(t, swarm.Config{})
			dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{liar.addr, honest.Addr().String()}})
			ts := testnet.WaitComplete(t, l, ih, 90*time.Second)
			testnet.SameTree(t, root, filepath.Join(dst, "payload"))
			if len(ts.Banned) != 1 || ts.Banned[0].Addr != liar.addr || !strings.Contains(ts.Banned[0].Reason, "does not match its Merkle leaf") {
				t.Errorf("banned %+v, want the liar alone, for a block that does not match its leaf", ts.Banned)
			}
		})
	}
}

// lieInSharedPieces serves the first piece it is asked for honestly; then
// it rejects (BEP 6) every request for a piece's first block, so that
// someone else sends those, and corrupts the first other block it sends.
// It rejects hash requests.
func lieInSharedPieces(p *rawPeer) error {
	if err := wantsAll(p); err != nil {
		return err
	}
	sent, lied := 0, false
	for {
		typ, b, err := p.read()
		if err != nil {
			return err
		}
		switch typ {
		case 21:
			if err := p.send(23, b); err != nil {
				return err
			}
			continue
		case int(pp.Request):
		default:
			continue
		}
		i, begin, length := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
		trusted := sent >= int(p.tor.Info.PieceLength)
		if trusted && begin == 0 {
			if err := p.send(pp.Reject, b[:12]); err != nil {
				return err
			}
			continue
		}
		msg := p.piece(i, begin, length)
		if trusted && !lied {
			msg[8] ^= 0x5a
			lied = true
		}
		sent += int(length)
		if err := p.send(pp.Piece, msg); err != nil {
			return err
		}
	}
}
