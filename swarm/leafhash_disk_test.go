package swarm

import (
	"testing"

	"github.com/shoal-bt/shoal/pieces"
)

// TestV2_InOrderPiecesNotReadBack: a v2-only piece whose blocks come in
// order is checked from the leaves hashed as it was written, not read
// back (before, every v2 piece was read back, and its blocks also went
// through a SHA-1 nobody checked); one whose blocks come out of order is
// read back; both pass, and a piece whose written bytes are not the
// torrent's fails on the leaves as it would on a read-back.
func TestV2_InOrderPiecesNotReadBack(t *testing.T) {
	r := newDiskRigFormat(t, []int{7*(32<<10) + 1234}, 32<<10, pieces.FormatV2)
	n := r.c.info.NumPieces()
	for i := range n {
		reversed := i%2 == 1
		res := r.fetch(t, i, reversed)
		if wantBack := reversed && r.c.info.PieceSize(i) > blockSize; res.readback != wantBack {
			t.Errorf("piece %d, blocks reversed %v: read back %v", i, reversed, res.readback)
		}
	}
	// A piece's bytes changed in flight: the leaves do not prove it.
	r.c.clearHave(2)
	r.src[r.c.info.PieceOffset(2)+100] ^= 1
	res := r.fetchResult(t, 2, false)
	if res.ok || res.readback {
		t.Errorf("a changed piece 2: ok %v, read back %v; want a failure found from the leaves", res.ok, res.readback)
	}
}
