package pieces

import (
	"slices"
	"testing"
)

func TestPicker_PickRun(t *testing.T) {
	const pl = 2 * BlockSize
	p := NewPicker(10, pl, 10*pl-100, 1)
	p.SetHave(4)
	p.SetPriority(8, -1)
	seed, web := Peer(1), Peer(2)
	p.HandleHaveAll(seed)
	p.HandleUnchoke(seed)
	p.HandleHaveAll(web)
	p.HandleUnchoke(web)
	started := p.PickFor(seed, 1) // a partial piece the run must not touch
	if len(started) != 1 {
		t.Fatalf("PickFor: %v", started)
	}
	var got []Index
	taken := map[Index]bool{4: true, 8: true, started[0].Piece: true}
	for {
		bs := p.PickRun(web, 6)
		if bs == nil {
			break
		}
		var call []Index
		for k, b := range bs {
			if b.Begin != (k%2)*BlockSize {
				t.Fatalf("blocks not whole pieces in order: %v", bs)
			}
			if k%2 == 0 {
				call = append(call, b.Piece)
			}
		}
		if len(call) > 3 {
			t.Errorf("call %v: over 6 blocks", call)
		}
		// A run ends only where the next piece cannot join it.
		for k, i := range call {
			taken[i] = true
			last := k == len(call)-1
			if (last || call[k+1] != i+1) && i+1 < 10 && !taken[i+1] && !(last && len(call) == 3) {
				t.Errorf("call %v: run ends at %d though %d was free", call, i, i+1)
			}
		}
		got = append(got, call...)
	}
	slices.Sort(got)
	var want []Index
	for i := range 10 {
		if i != 4 && i != 8 && i != started[0].Piece {
			want = append(want, i)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("PickRun gave pieces %v, want each of %v once", got, want)
	}
	// Nothing fresh left: PickFor may still help with the started piece.
	if bs := p.PickFor(web, 4); len(bs) == 0 || bs[0].Piece != started[0].Piece {
		t.Fatalf("PickFor after the runs: %v", bs)
	}
}

func TestPicker_PickRunAlwaysOnePiece(t *testing.T) {
	p := NewPicker(3, 4*BlockSize, 12*BlockSize, 1)
	p.HandleHaveAll(1)
	p.HandleUnchoke(1)
	if bs := p.PickRun(1, 1); len(bs) != 4 {
		t.Fatalf("PickRun(1) of a 4-block piece = %v, want the whole piece", bs)
	}
	p.SetProbation(1, true)
	if bs := p.PickRun(1, 100); bs != nil {
		t.Fatalf("PickRun on probation = %v, want nil", bs)
	}
}
