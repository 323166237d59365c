package pieces

import (
	"slices"
	"testing"
)

func blocksOf(bs []Block) map[Index]int {
	m := map[Index]int{}
	for _, b := range bs {
		m[b.Piece]++
	}
	return m
}

func TestPicker_RarestFirst(t *testing.T) {
	// 4 pieces of one block each. Peer 1 has all, peer 2 has 0..2, peer 3 has 0,1.
	p := NewPicker(4, BlockSize, 4*BlockSize, 1)
	p.HandleBitfield(1, func(Index) bool { return true })
	p.HandleBitfield(2, func(i Index) bool { return i <= 2 })
	p.HandleBitfield(3, func(i Index) bool { return i <= 1 })
	p.HandleUnchoke(1)
	got := p.PickFor(1, 4)
	var order []Index
	for _, b := range got {
		order = append(order, b.Piece)
	}
	if len(order) != 4 || order[0] != 3 || order[1] != 2 {
		t.Fatalf("pick order = %v, want 3, 2 then {0,1}", order)
	}
	if p.Availability(3) != 1 || p.Availability(0) != 3 {
		t.Fatalf("availability = %d, %d", p.Availability(3), p.Availability(0))
	}
}

func TestPicker_ChokedPeerGetsNothingButFast(t *testing.T) {
	p := NewPicker(4, BlockSize, 4*BlockSize, 1)
	p.HandleHaveAll(1)
	if got := p.PickFor(1, 10); got != nil {
		t.Fatalf("choked peer picked %v", got)
	}
	p.HandleAllowedFast(1, 2)
	got := p.PickFor(1, 10)
	if len(got) != 1 || got[0].Piece != 2 {
		t.Fatalf("allowed-fast pick = %v, want piece 2", got)
	}
}

func TestPicker_FinishesPartialFirst(t *testing.T) {
	// 3 pieces of 4 blocks.
	p := NewPicker(3, 4*BlockSize, 12*BlockSize, 7)
	p.HandleHaveAll(1)
	p.HandleHaveAll(2)
	p.HandleUnchoke(1)
	p.HandleUnchoke(2)
	first := p.PickFor(1, 2)
	if len(first) != 2 || first[0].Piece != first[1].Piece {
		t.Fatalf("first picks = %v", first)
	}
	second := p.PickFor(2, 2)
	if len(second) != 2 || second[0].Piece != first[0].Piece {
		t.Fatalf("second peer should finish piece %d, got %v", first[0].Piece, second)
	}
}

func TestPicker_SkipAndDone(t *testing.T) {
	p := NewPicker(3, BlockSize, 3*BlockSize-100, 1)
	p.SetPriority(1, -1)
	p.HandleHaveAll(1)
	p.HandleUnchoke(1)
	got := p.PickFor(1, 10)
	if m := blocksOf(got); m[1] != 0 || m[0] != 1 || m[2] != 1 {
		t.Fatalf("picked %v; piece 1 is skipped", got)
	}
	if got[len(got)-1].Piece == 2 && got[len(got)-1].Length != BlockSize-100 {
		t.Fatalf("last block length = %d", got[len(got)-1].Length)
	}
	for _, b := range got {
		useful, _, complete := p.HandleBlock(1, b)
		if !useful || !complete {
			t.Fatalf("block %v: useful %v complete %v", b, useful, complete)
		}
		p.HandleVerified(b.Piece)
	}
	if !p.Done() || p.Interesting(1) {
		t.Fatalf("done = %v, interesting = %v", p.Done(), p.Interesting(1))
	}
}

func TestPicker_EndgameDuplicatesAndCancels(t *testing.T) {
	p := NewPicker(1, 2*BlockSize, 2*BlockSize, 1)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	a := p.PickFor(1, 10)
	if len(a) != 2 || !p.Endgame() {
		t.Fatalf("peer 1 picks %v, endgame %v", a, p.Endgame())
	}
	b := p.PickFor(2, 10)
	if len(b) != 2 {
		t.Fatalf("endgame duplicates = %v", b)
	}
	_, cancels, complete := p.HandleBlock(2, a[0])
	if complete || len(cancels) != 1 || cancels[0].Peer != 1 || cancels[0].Block != a[0] {
		t.Fatalf("cancels = %v complete %v", cancels, complete)
	}
	if p.Requested(1, a[0]) || !p.Requested(1, a[1]) {
		t.Fatal("request bookkeeping wrong after cancel")
	}
	useful, _, _ := p.HandleBlock(1, a[0])
	if useful {
		t.Fatal("late duplicate counted as useful")
	}
	_, _, complete = p.HandleBlock(1, a[1])
	if !complete {
		t.Fatal("piece not complete")
	}
	if got := p.Senders(0); !slices.Equal(got, []Peer{2, 1}) {
		t.Fatalf("senders = %v", got)
	}
	p.HandleFailed(0)
	if p.InFlight(0) || p.Outstanding(2) != 0 {
		t.Fatalf("failed piece still in flight: %v, outstanding %d", p.InFlight(0), p.Outstanding(2))
	}
	if got := p.PickFor(1, 10); len(got) != 2 {
		t.Fatalf("failed piece not re-picked: %v", got)
	}
}

func TestPicker_DisconnectAndChokeReleaseRequests(t *testing.T) {
	p := NewPicker(2, BlockSize, 2*BlockSize, 3)
	p.HandleHaveAll(1)
	p.HandleUnchoke(1)
	got := p.PickFor(1, 1)
	if dropped := p.HandleChoke(1, false); len(dropped) != 1 || dropped[0] != got[0] {
		t.Fatalf("choke dropped %v, want %v", dropped, got)
	}
	p.HandleHave(2, 0)
	p.HandleHave(2, 1)
	p.HandleUnchoke(2)
	if again := p.PickFor(2, 2); len(again) != 2 || p.Endgame() != true {
		t.Fatalf("after choke, peer 2 picks %v", again)
	}
	if dropped := p.HandleDisconnect(2); len(dropped) != 2 {
		t.Fatalf("disconnect dropped %v", dropped)
	}
	if p.Availability(0) != 1 {
		t.Fatalf("availability after disconnect = %d", p.Availability(0))
	}
}

// FuzzPicker drives random event sequences and checks the invariants: never
// a held, skipped or unheld piece, never a duplicate request to one peer,
// a peer on probation given blocks of one piece only, never a pick from a
// piece DropFrom froze; with deadlines and sequential mode as well.
func FuzzPicker(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{7, 0, 1, 0, 8, 0, 5, 3, 7, 1, 1, 1, 5, 4, 10, 0, 6, 1, 11, 3})
	f.Add([]byte{13, 2, 7, 0, 1, 0, 12, 4, 5, 3, 12, 1, 6, 3, 12, 3, 5, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const n = 5
		p := NewPicker(n, 2*BlockSize, (2*n-1)*BlockSize, 1)
		frozen := map[Index]bool{}
		for k := 0; k+1 < len(ops); k += 2 {
			pr := Peer(ops[k+1] % 3)
			i := Index(ops[k+1]/3) % n
			switch ops[k] % 15 {
			case 0:
				p.HandleHave(pr, i)
			case 1:
				p.HandleUnchoke(pr)
			case 2:
				p.HandleChoke(pr, false)
			case 3:
				p.HandleDisconnect(pr)
			case 4:
				p.SetPriority(i, int8(ops[k]%3)-1)
			case 5, 6:
				probation := p.OnProbation(pr)
				got := p.PickFor(pr, int(ops[k+1]%7))
				seen := map[Block]bool{}
				for _, b := range got {
					if p.Have(b.Piece) || p.Priority(b.Piece) < 0 || !p.PeerHas(pr, b.Piece) || frozen[b.Piece] {
						t.Fatalf("bad pick %v", b)
					}
					if seen[b] {
						t.Fatalf("block %v asked twice of peer %d", b, pr)
					}
					seen[b] = true
					if probation && b.Piece != got[0].Piece {
						t.Fatalf("peer %d on probation got blocks of pieces %d and %d", pr, got[0].Piece, b.Piece)
					}
				}
				for _, b := range got {
					if _, _, complete := p.HandleBlock(pr, b); complete {
						if ops[k]%15 == 5 {
							p.HandleVerified(b.Piece)
						} else {
							p.HandleFailed(b.Piece)
						}
					}
				}
			case 7:
				p.HandleHaveAll(pr)
			case 8, 9:
				p.SetProbation(pr, ops[k]%15 == 8)
			case 10:
				dropped, _ := p.DropFrom(pr)
				for _, d := range dropped {
					frozen[d] = true
				}
			case 11:
				// The reset hash of a frozen piece comes back.
				for d := range frozen {
					p.HandleFailed(d)
					if _, wasFrozen, ok := p.LastFailed(d); !ok || !wasFrozen {
						t.Fatalf("LastFailed(%d) = frozen %v, ok %v", d, wasFrozen, ok)
					}
					delete(frozen, d)
					break
				}
			case 12:
				p.SetDeadline(i, int(ops[k+1]%4)-1)
			case 13:
				p.SetSequential(int(ops[k+1] % 3))
			case 14:
				p.Unhave(i)
			}
			p.checkFresh(t)
		}
	})
}

func TestPicker_UnhaveWantsThePieceAgain(t *testing.T) {
	p := NewPicker(4, 16<<10, 4*16<<10, 1)
	for i := range 4 {
		p.SetHave(i)
	}
	p.SetPriority(3, -1)
	p.Unhave(1)
	p.Unhave(3) // skipped: missing, but not wanted
	p.Unhave(1) // twice is once
	if p.Done() || p.Missing() != 1 || p.Have(1) || p.Have(3) {
		t.Fatalf("after Unhave: done %v, missing %d, have(1) %v, have(3) %v", p.Done(), p.Missing(), p.Have(1), p.Have(3))
	}
	p.HandleHaveAll(1)
	p.HandleUnchoke(1)
	if got := p.PickFor(1, 10); len(got) != 1 || got[0].Piece != 1 {
		t.Fatalf("PickFor after Unhave = %v, want piece 1's block", got)
	}
}
