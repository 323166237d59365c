package pieces

import "testing"

// A seed is asked for pieces only seeds have before the rest of a piece
// another peer holds: in netbench (4), one seed with a thin uplink and 50
// leechers, leechers finished from the seed the pieces they had begun at
// slow leechers, and a quarter of the seed's first copy was pieces it had
// sent before (an eighth after). Once nothing new is left, the seed
// finishes them too.
func TestPicker_SeedFinishesOnlyWhatOthersLack(t *testing.T) {
	const n, per = 3, 4 // pieces, blocks each
	p := NewPicker(n, per*BlockSize, n*per*BlockSize, 1)
	const seed, leecher = Peer(1), Peer(2)
	p.HandleHaveAll(seed)
	p.HandleUnchoke(seed)
	p.HandleHave(leecher, 0)
	p.HandleUnchoke(leecher)
	if got := p.PickFor(leecher, 1); len(got) != 1 || got[0].Piece != 0 {
		t.Fatalf("the leecher was asked for %v; want a block of piece 0, the one it has", got)
	}
	// Piece 0 has three blocks nobody was asked for; pieces 1 and 2 only
	// the seed has.
	got := p.PickFor(seed, 2*per)
	for _, b := range got {
		if b.Piece == 0 {
			t.Fatalf("the seed was asked for %v; want pieces 1 and 2 before the rest of piece 0, which the leecher has", got)
		}
	}
	if len(got) != 2*per {
		t.Fatalf("the seed was asked for %d blocks, want %d", len(got), 2*per)
	}
	if got := p.PickFor(seed, per); len(got) != per-1 || got[0].Piece != 0 {
		t.Fatalf("with nothing new left, the seed was asked for %v; want the rest of piece 0", got)
	}
}
