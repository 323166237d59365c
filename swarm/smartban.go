package swarm

import (
	"crypto/sha1"
	"fmt"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Smart ban (after libtorrent): when a piece fetched from several peers
// fails its hash, remember a hash of every block and who sent it. When
// the piece later verifies, whoever sent a block that differs from the
// good one is the corrupter, banned at once; the others are cleared. An
// honest block always equals the good one, so no hash collision can frame
// an honest peer.

// maxSums bounds the block hashes kept per peer address (28 bytes each):
// only pieces that failed are recorded, and the oldest go first.
const maxSums = 1024

type blockSum struct {
	piece, block int
	peerID       [20]byte
	sum          [sha1.Size]byte
}

// recordSums hashes the blocks of failed piece i as the disk holds them
// (from: each block's sender). A piece one peer sent alone needs none:
// that peer is banned for it.
func (t *torrent) recordSums(i int, from []pieces.Peer) {
	distinct := 0
	var first pieces.Peer = pieces.NoPeer
	for _, s := range from {
		if s != pieces.NoPeer && s != first {
			if first == pieces.NoPeer {
				first = s
				distinct = 1
			} else {
				distinct = 2
				break
			}
		}
	}
	if distinct < 2 {
		return
	}
	c := t.data.Load()
	buf := make([]byte, c.info.PieceSize(i))
	if _, err := c.storage.ReadAt(buf, c.info.PieceOffset(i)); err != nil {
		t.log.Warn("Reading a failed piece for smart ban failed", "piece", i, "err", err)
		return
	}
	for k, s := range from {
		info, ok := t.ids.of[s]
		if s == pieces.NoPeer || !ok || t.isBanned(info.addr) {
			continue
		}
		b := t.blameOf(info.addr)
		if len(b.sums) >= maxSums {
			b.sums = append(b.sums[:0], b.sums[len(b.sums)-maxSums/2:]...)
		}
		off := int64(k) * blockSize
		b.sums = append(b.sums, blockSum{piece: i, block: k, peerID: info.peerID,
			sum: sha1.Sum(buf[off : off+blockLen(c.info, i, k)])})
	}
}

// smartBan settles the recorded blocks of pieces now verified.
func (t *torrent) smartBan() {
	c := t.data.Load()
	var good map[int][]byte
	type verdict struct {
		who   peerIdent
		piece int
	}
	var guilty []verdict
	for a, b := range t.bans.blame {
		if len(b.sums) == 0 {
			continue
		}
		kept := b.sums[:0]
		settled, lied := 0, -1
		last := -1
		for _, s := range b.sums {
			if !t.picker.Have(s.piece) {
				kept = append(kept, s)
				continue
			}
			if s.piece != last {
				settled++ // a piece's sums are recorded together
				last = s.piece
			}
			data, ok := good[s.piece]
			if !ok {
				data = make([]byte, c.info.PieceSize(s.piece))
				if _, err := c.storage.ReadAt(data, c.info.PieceOffset(s.piece)); err != nil {
					t.log.Warn("Reading a verified piece for smart ban failed", "piece", s.piece, "err", err)
					data = nil
				}
				if good == nil {
					good = make(map[int][]byte)
				}
				good[s.piece] = data
			}
			if data == nil {
				continue
			}
			off := int64(s.block) * blockSize
			if sha1.Sum(data[off:off+blockLen(c.info, s.piece, s.block)]) != s.sum && lied < 0 {
				lied = s.piece
				guilty = append(guilty, verdict{who: peerIdent{addr: a, peerID: s.peerID}, piece: s.piece})
			}
		}
		b.sums = kept
		if settled > 0 && lied < 0 {
			// Its blocks were the good ones: those failures were not its.
			b.bad = max(0, b.bad-settled)
			if len(kept) == 0 {
				b.suspectSince = time.Time{}
			}
		}
	}
	for _, g := range guilty {
		t.ban(g.who, fmt.Sprintf("sent a corrupt block of piece %d (found when the piece verified from others)", g.piece))
	}
}
