package pieces

import (
	"slices"
	"testing"
)

func TestPicker_ProbationOnePieceUntilVerified(t *testing.T) {
	// 4 pieces of 4 blocks; peer 1 is on probation and asks for more than
	// a piece.
	p := NewPicker(4, 4*BlockSize, 16*BlockSize, 3)
	p.HandleHaveAll(1)
	p.HandleUnchoke(1)
	p.SetProbation(1, true)
	got := p.PickFor(1, 16)
	if len(got) != 4 || len(blocksOf(got)) != 1 {
		t.Fatalf("probation picks = %v, want the 4 blocks of one piece", got)
	}
	i := got[0].Piece
	if p.ProbationPiece(1) != i {
		t.Fatalf("ProbationPiece = %d, want %d", p.ProbationPiece(1), i)
	}
	for _, b := range got {
		p.HandleBlock(1, b)
	}
	// Its piece is complete but not verified: nothing more yet.
	if more := p.PickFor(1, 16); more != nil {
		t.Fatalf("picked %v while its piece awaits its hash", more)
	}
	p.HandleVerified(i)
	next := p.PickFor(1, 16)
	if len(blocksOf(next)) != 1 || next[0].Piece == i {
		t.Fatalf("after verification picks = %v, want one other piece", next)
	}
	p.SetProbation(1, false)
	if rest := p.PickFor(1, 16); len(blocksOf(rest)) != 2 {
		t.Fatalf("off probation picks = %v, want the two pieces left", rest)
	}
}

func TestPicker_ProbationPrefersAFreshPiece(t *testing.T) {
	p := NewPicker(3, 4*BlockSize, 12*BlockSize, 5)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	first := p.PickFor(1, 2) // trusted peer 1 starts a piece, half asked
	p.SetProbation(2, true)
	got := p.PickFor(2, 8)
	if len(got) != 4 || got[0].Piece == first[0].Piece {
		t.Fatalf("probation picks = %v, want a fresh piece, not %d", got, first[0].Piece)
	}
}

func TestPicker_ProbationSharesWhenNothingIsFresh(t *testing.T) {
	p := NewPicker(2, 4*BlockSize, 8*BlockSize, 5)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	p.PickFor(1, 5) // piece A whole, piece B one block
	p.SetProbation(2, true)
	got := p.PickFor(2, 3)
	if len(got) != 3 || len(blocksOf(got)) != 1 {
		t.Fatalf("probation picks = %v, want the 3 free blocks of the started piece", got)
	}
	// Endgame: duplicates only within its piece.
	p.SetProbation(3, true)
	p.HandleHaveAll(3)
	p.HandleUnchoke(3)
	dup := p.PickFor(3, 8)
	if len(blocksOf(dup)) != 1 {
		t.Fatalf("endgame probation picks = %v, want one piece", dup)
	}
}

func TestPicker_DropFromFreezesPoisonedPieces(t *testing.T) {
	// 3 pieces of 4 blocks. Peer 1 (the liar) and peer 2 share two pieces.
	p := NewPicker(3, 4*BlockSize, 12*BlockSize, 9)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	a := p.PickFor(1, 2)
	b := p.PickFor(2, 6) // blocks 2 and 3 of a's piece, then 4 of the next
	p.HandleBlock(1, a[0])
	p.HandleBlock(2, b[0])
	clean := p.PickFor(2, 4) // third piece: only peer 2
	for _, blk := range clean[:1] {
		p.HandleBlock(2, blk)
	}
	dropped, cancels := p.DropFrom(1)
	if !slices.Equal(dropped, []Index{a[0].Piece}) {
		t.Fatalf("dropped %v, want [%d]", dropped, a[0].Piece)
	}
	// a[1] from peer 1 and b[1] from peer 2 were pending in that piece.
	if len(cancels) != 2 {
		t.Fatalf("cancels = %v, want 2", cancels)
	}
	if p.Requested(2, b[1]) {
		t.Fatalf("request %v still pending in a frozen piece", b[1])
	}
	for _, blk := range p.PickFor(2, 16) {
		if blk.Piece == a[0].Piece {
			t.Fatalf("picked %v from a frozen piece", blk)
		}
	}
	if useful, _, complete := p.HandleBlock(2, b[1]); useful || complete {
		t.Fatalf("block of a frozen piece: useful %v complete %v", useful, complete)
	}
	p.HandleFailed(a[0].Piece)
	from, frozen, ok := p.LastFailed(a[0].Piece)
	if !ok || !frozen || from[0] != 1 || from[2] != 2 || from[1] != NoPeer {
		t.Fatalf("LastFailed = %v %v %v", from, frozen, ok)
	}
	if !slices.ContainsFunc(p.PickFor(2, 16), func(blk Block) bool { return blk.Piece == a[0].Piece }) {
		t.Fatalf("the reset piece is not wanted again")
	}
}

func TestPicker_ProbationPieceLeftToItsOwner(t *testing.T) {
	// 2 pieces of 4 blocks; peer 1 on probation starts one with 2 requests.
	p := NewPicker(2, 4*BlockSize, 8*BlockSize, 5)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	p.SetProbation(1, true)
	own := p.PickFor(1, 2)
	got := p.PickFor(2, 4)
	if len(got) != 4 || got[0].Piece == own[0].Piece {
		t.Fatalf("trusted peer picks %v, want the other piece, not %d", got, own[0].Piece)
	}
	// With nothing else left, it helps with the owner's free blocks.
	if help := p.PickFor(2, 4); len(help) != 2 || help[0].Piece != own[0].Piece {
		t.Fatalf("trusted peer then picks %v, want the 2 free blocks of piece %d", help, own[0].Piece)
	}
	// Once the owner has nothing pending (choked), its requests are
	// anyone's too.
	p.HandleChoke(1, false)
	more := p.PickFor(2, 8)
	if len(more) != 2 || more[0].Piece != own[0].Piece {
		t.Fatalf("after the owner's choke picks = %v, want 2 blocks of piece %d", more, own[0].Piece)
	}
}
