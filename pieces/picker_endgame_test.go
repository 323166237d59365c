package pieces

import (
	"slices"
	"testing"
)

func TestPicker_EndgameStealsFromTheBackWhenIdle(t *testing.T) {
	// 2 pieces of 4 blocks, all asked of peer 1.
	p := NewPicker(2, 4*BlockSize, 8*BlockSize, 11)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	a := p.PickFor(1, 8)
	if len(a) != 8 || !p.Endgame() {
		t.Fatalf("peer 1 picks %v, endgame %v", a, p.Endgame())
	}
	// Peer 2 is idle: two duplicates, the blocks peer 1 would send last.
	got := p.PickFor(2, 16)
	if want := []Block{a[7], a[6]}; !slices.Equal(got, want) {
		t.Fatalf("duplicates = %v, want %v", got, want)
	}
	// Still busy with those: no more, however many it could take.
	if more := p.PickFor(2, 16); more != nil {
		t.Fatalf("busy peer got duplicates %v", more)
	}
	p.HandleBlock(2, got[0])
	if more := p.PickFor(2, 16); more != nil {
		t.Fatalf("peer with one pending got duplicates %v", more)
	}
	p.HandleBlock(2, got[1])
	if more := p.PickFor(2, 16); !slices.Equal(more, []Block{a[5], a[4]}) {
		t.Fatalf("idle again: duplicates = %v, want %v", more, []Block{a[5], a[4]})
	}
}
