package swarm

import (
	"github.com/shoal-bt/shoal/pieces"
)

// dropPoisoned resets every started piece holding a block from the banned
// peer: it would fail its hash later, wasting the honest blocks fetched
// for it meanwhile and blaming their senders. A frozen piece is hashed
// once more so the disk goroutine forgets what it wrote of it; that hash
// fails and handleHashed makes the piece wanted again (blameFailed knows
// it for a reset, not a verdict).
func (t *torrent) dropPoisoned(who peerIdent) {
	if t.picker == nil {
		return
	}
	for id, info := range t.ids.of {
		if info.addr != who.addr && info.peerID != who.peerID {
			continue
		}
		dropped, cancels := t.picker.DropFrom(id)
		for _, c := range cancels {
			t.cancelRequest(c.Peer, c.Block)
		}
		for _, i := range dropped {
			t.log.Debug("Piece dropped: it holds a banned peer's blocks", "piece", i, "addr", who.addr.String())
			t.verify(i)
		}
	}
}

// chargeWaste adds the blocks of piece i, thrown away, to the waste of the
// peers that sent them (from: each block's sender).
func (t *torrent) chargeWaste(from []pieces.Peer, i int) {
	c := t.data.Load()
	for k, s := range from {
		if s == pieces.NoPeer {
			continue
		}
		info, ok := t.ids.of[s]
		if !ok {
			continue
		}
		if tot := t.xfer.totals[info.addr]; tot != nil {
			tot.wasted += blockLen(c.info, i, k)
		}
	}
}

func receivedBytes(info *pieces.Info, i int, from []pieces.Peer) int64 {
	var n int64
	for k, s := range from {
		if s != pieces.NoPeer {
			n += blockLen(info, i, k)
		}
	}
	return n
}

func blockLen(info *pieces.Info, i, k int) int64 {
	return min(blockSize, info.PieceSize(i)-int64(k)*blockSize)
}
