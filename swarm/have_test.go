package swarm_test

import (
	"encoding/binary"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// A leecher tells a seed nothing of the pieces it verifies: the seed has
// them all. With 1,000 seeds connected, a Have to each per piece was a
// write syscall per seed per piece, most of the leecher's CPU.
func TestHave_NoneToSeeds(t *testing.T) {
	_, root, data := onePayload(t, 71, "h.bin", 1<<20)
	tor := testnet.Create(t, root, hostilePieceLen)
	var haves, served atomic.Int32
	seed := startHostile(t, tor, data, func(p *rawPeer) error {
		if err := wantsAll(p); err != nil {
			return err
		}
		for {
			typ, b, err := p.read()
			if err != nil {
				return nil // the leecher finished and hung up
			}
			switch typ {
			case int(pp.Have):
				haves.Add(1)
			case int(pp.Request):
				i, begin, length := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
				if err := p.send(pp.Piece, p.piece(i, begin, length)); err != nil {
					return nil
				}
				served.Add(1)
			}
		}
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{seed.addr}})
	ih := swarm.InfoHash(tor.InfoHash)
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if served.Load() == 0 {
		t.Fatal("the raw seed served nothing")
	}
	if n := haves.Load(); n != 0 {
		t.Errorf("the seed was sent %d Have messages, want none", n)
	}
}
