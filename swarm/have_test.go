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

// Haves wait up to haveDelay for company (haves.go), but a peer that
// sends us nothing still hears of every piece, and soon: the wait ends on
// a timer, not on the next message to that peer.
func TestHave_ReachAnIdlePeerSoon(t *testing.T) {
	_, root, data := onePayload(t, 72, "h.bin", 1<<20)
	tor := testnet.Create(t, root, hostilePieceLen)
	start := make(chan struct{})
	seed := startHostile(t, tor, data, func(p *rawPeer) error {
		<-start // until the idle peer is connected, so it hears Haves, not a bitfield
		if err := wantsAll(p); err != nil {
			return err
		}
		for {
			i, begin, length, err := p.nextRequest()
			if err != nil {
				return nil
			}
			if err := p.send(pp.Piece, p.piece(i, begin, length)); err != nil {
				return nil
			}
		}
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{seed.addr}})
	ih := swarm.InfoHash(tor.InfoHash)
	idle := superDial(t, l, ih, tor, data, "-XX0001-idlepeer0001")
	n := tor.Info.NumPieces()
	got := make(chan uint32, 2*n)
	go func() {
		defer close(got)
		for {
			typ, b, err := idle.read()
			if err != nil {
				return
			}
			if typ == int(pp.Have) {
				got <- binary.BigEndian.Uint32(b)
			}
		}
	}()
	close(start)
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	done := time.Now()
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	seen := make(map[uint32]bool)
	deadline := time.After(5 * time.Second)
	for len(seen) < n {
		select {
		case i, ok := <-got:
			if !ok {
				t.Fatalf("the leecher hung up on the idle peer after %d of %d Haves", len(seen), n)
			}
			if seen[i] {
				t.Errorf("Have %d came twice", i)
			}
			seen[i] = true
		case <-deadline:
			t.Fatalf("the idle peer heard %d of %d Haves within 5 s of the download's end", len(seen), n)
		}
	}
	if d := time.Since(done); d > 2*time.Second {
		t.Errorf("the last Have came %v after the download's end, want within 2 s", d)
	}
	idle.c.Close()
}
