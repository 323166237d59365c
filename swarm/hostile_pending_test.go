package swarm_test

import (
	"encoding/binary"
	"path/filepath"
	"slices"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// A Have naming a piece past the end, sent to a magnet leecher before it
// has the info dict, is judged when the info arrives: the peer is banned
// as it would be for the same Have later (it used to be dropped quietly).
func TestHostile_PendingHaveOutOfRangeBanned(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 35, testnet.File{Path: "p.bin", Size: 512 << 10})
	tor := testnet.Create(t, root, hostilePieceLen)
	ih := swarm.InfoHash(tor.InfoHash)
	sent := make(chan struct{})
	bad := startHostile(t, tor, nil, func(p *rawPeer) error {
		if err := p.send(pp.HaveNone, nil); err != nil {
			return err
		}
		if err := p.send(pp.Have, binary.BigEndian.AppendUint32(nil, 1<<30)); err != nil {
			return err
		}
		close(sent)
		return p.drainUntilClosed()
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih, Peers: []string{bad.addr}}})
	select {
	case <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the leecher never connected to the bad peer")
	}
	// Only then does the info dict come, from an honest seed.
	hs := testnet.StartSession(t, swarm.Config{})
	if _, err := hs.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{l.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	// The Have may reach the torrent only after the info came, and the
	// 512 KiB after that: then it is judged as a late Have, which bans
	// too, a moment after the download completed.
	testnet.WaitFor(t, l, ih, 10*time.Second, "the peer that sent a Have of piece 2^30 to be banned", func(ts swarm.TorrentSnapshot) bool {
		return slices.ContainsFunc(ts.Banned, func(b swarm.BannedPeer) bool { return b.Addr == bad.addr })
	})
}
