package swarm

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Per-block blame for v2 and hybrid torrents (BEP 52). When a piece that
// several peers sent fails its hash, the loop does not throw it all away
// as for v1: it keeps the piece, asks a v2 peer for the piece's 16 KiB
// leaves (a hash request for layer 0, checked against the piece's node in
// the piece layer, or the file's root), and compares each block on disk
// with its leaf. The sender of a block that differs is banned at once
// (one bad block is enough), the others are not blamed, and only the bad
// blocks are fetched again. This is the v2 path; v1 pieces (and v2 ones
// when no peer answers within leafWaitFor, or one peer sent the whole
// piece) take smartban.go's: fetch the whole piece again and compare
// block hashes once it verifies.

// leafWaitFor bounds how long a failed piece waits for its leaves before
// it is thrown away whole, as a v1 piece is.
var leafWaitFor = 20 * time.Second

// leafCheck is a failed piece waiting for its leaves; the loop's, in
// bans.leaves.
type leafCheck struct {
	piece   int
	req     pieces.HashRequest
	node    pieces.Hash32   // what the leaves must hash to
	sums    []pieces.Hash32 // each block as on disk: its leaf, zero for an all-zero pad block
	from    []pieces.Peer   // each block's sender
	started time.Time
	peer    pieces.Peer // asked of, or NoPeer
	at      time.Time
	not     map[pieces.Peer]time.Time // rejected or timed out, and when
}

// pieceNode finds the v2 file piece i lies in, the piece's index in it
// and its node: the piece layer's hash, or the root of a one-piece file.
func pieceNode(c *content, i int) (f pieces.File, k int, node pieces.Hash32, ok bool) {
	info := c.info
	first, end := info.FilesOf(i)
	for j := first; j < end; j++ {
		f = info.Files[j]
		if f.Padding || f.Root == nil || f.Length == 0 {
			continue
		}
		k = int((info.PieceOffset(i) - f.Offset) / info.PieceLength)
		if f.Length <= info.PieceLength {
			return f, k, pieces.Hash32(f.Root), true
		}
		layer := c.tor.PieceLayers[pieces.Hash32(f.Root)]
		if k >= len(layer) {
			return f, k, node, false
		}
		return f, k, layer[k], true
	}
	return f, k, node, false
}

// checkBlocks starts per-block blame for failed piece i when it can: a v2
// piece whose node is known, every block of which came from a peer, from
// two peers at least. False: the caller fails the piece whole.
func (t *torrent) checkBlocks(i int) bool {
	c := t.data.Load()
	if !c.info.HasV2() || t.bans.leaves[i] != nil {
		return false
	}
	from := t.picker.BlockSenders(i)
	distinct := 0
	for k, s := range from {
		if _, ok := t.ids.of[s]; !ok {
			return false // missing, or a web seed's: no one to ban
		}
		if !slices.Contains(from[:k], s) {
			distinct++
		}
	}
	f, k, node, ok := pieceNode(c, i)
	if !ok || distinct < 2 {
		return false
	}
	data := make([]byte, c.info.PieceSize(i))
	if _, err := c.storage.ReadAt(data, c.info.PieceOffset(i)); err != nil {
		t.log.Warn("Reading a failed piece for its block check failed", "piece", i, "err", err)
		return false
	}
	sums := make([]pieces.Hash32, len(from))
	for b := range sums {
		blk := data[b*blockSize : min(len(data), (b+1)*blockSize)]
		if c.info.PieceOffset(i)+int64(b*blockSize) < f.Offset+f.Length {
			sums[b] = sha256.Sum256(blk[:min(int64(len(blk)), f.Offset+f.Length-c.info.PieceOffset(i)-int64(b*blockSize))])
		} else if slices.ContainsFunc(blk, func(x byte) bool { return x != 0 }) {
			sums[b] = sha256.Sum256(blk) // a pad block that is not zeros: never its (zero) leaf
		}
	}
	lc := &leafCheck{piece: i, req: pieces.LeafRequest(pieces.Hash32(f.Root), f.Length, c.info.PieceLength, k),
		node: node, sums: sums, from: from, started: time.Now(), peer: pieces.NoPeer}
	t.bans.leaves[i] = lc
	t.log.Debug("Piece failed; asking for its leaves", "piece", i, "senders", distinct)
	t.askLeaves(lc)
	return true
}

// askLeaves sends lc's request to a v2 peer that has not refused it
// lately, if there is one.
func (t *torrent) askLeaves(lc *leafCheck) {
	now := time.Now()
	for _, p := range t.peers {
		if !p.nc.v2 || now.Sub(lc.not[p.id]) < layerAskFor {
			continue
		}
		lc.peer, lc.at = p.id, now
		req := lc.req.Bytes()
		p.send(func(b []byte) []byte { return appendPayload(b, msgHashRequest, req) })
		return
	}
}

func (lc *leafCheck) refusedBy(p pieces.Peer, at time.Time) {
	if lc.not == nil {
		lc.not = map[pieces.Peer]time.Time{}
	}
	lc.not[p] = at
	lc.peer = pieces.NoPeer
}

// leafCheckFor finds the check whose request p was asked.
func (t *torrent) leafCheckFor(p pieces.Peer, req pieces.HashRequest) *leafCheck {
	for _, lc := range t.bans.leaves {
		if lc.peer == p && lc.req == req {
			return lc
		}
	}
	return nil
}

// leavesArrived settles a check: the senders of blocks that differ from
// their leaves are banned and those blocks alone fetched again.
func (t *torrent) leavesArrived(p *peer, lc *leafCheck, hs []pieces.Hash32) {
	leaves, err := pieces.VerifyLeaves(lc.req, hs, lc.node)
	if err != nil {
		lc.peer = pieces.NoPeer
		t.ban(peerIdent{addr: p.nc.addr, peerID: p.nc.peerID}, fmt.Sprintf("sent leaf hashes of piece %d that do not prove it (%v)", lc.piece, err))
		t.askLeaves(lc)
		return
	}
	delete(t.bans.leaves, lc.piece)
	var bad []int
	for b, sum := range lc.sums {
		var want pieces.Hash32 // zero past the file's end
		if b < len(leaves) {
			want = leaves[b]
		}
		if sum != want {
			bad = append(bad, b)
		}
	}
	if len(bad) == 0 {
		// Every block matches its leaf, yet the piece failed: nothing to
		// pin on anyone, so it goes whole.
		t.pieceFailed(lc.piece, t.picker.Senders(lc.piece))
		return
	}
	c := t.data.Load()
	banned := map[pieces.Peer]bool{}
	for _, b := range bad {
		t.xfer.wasted.Add(int64(blockLen(c.info, lc.piece, b)))
		s := lc.from[b]
		if banned[s] {
			continue
		}
		banned[s] = true
		if who, ok := t.ids.of[s]; ok {
			t.ban(who, fmt.Sprintf("sent block %d of piece %d, which does not match its Merkle leaf", b, lc.piece))
		}
	}
	t.log.Info("Bad blocks found by their Merkle leaves", "piece", lc.piece, "blocks", bad, "kept", len(lc.sums)-len(bad))
	// After the bans: a piece with blocks missing would be frozen by them.
	t.picker.HandleBadBlocks(lc.piece, bad)
	t.bans.failed[lc.piece] = true
	t.fillRequests()
}

// leafChecksTick re-asks checks whose peer left, rejected or timed out,
// and fails whole those that waited leafWaitFor in vain. Housekeeping.
func (t *torrent) leafChecksTick() {
	now := time.Now()
	for _, lc := range t.bans.leaves {
		if q := t.peers[lc.peer]; q != nil && now.Sub(lc.at) >= layerAskFor {
			lc.refusedBy(q.id, now)
		} else if q == nil {
			lc.peer = pieces.NoPeer
		}
		if lc.peer != pieces.NoPeer {
			continue
		}
		if now.Sub(lc.started) >= leafWaitFor {
			delete(t.bans.leaves, lc.piece)
			t.log.Debug("No peer sent the leaves of a failed piece", "piece", lc.piece)
			t.pieceFailed(lc.piece, t.picker.Senders(lc.piece))
			continue
		}
		t.askLeaves(lc)
	}
}
