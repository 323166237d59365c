package pieces

import (
	"slices"
	"testing"
)

// pieceOrder returns the pieces of bs in the order they first appear.
func pieceOrder(bs []Block) []Index {
	var out []Index
	for _, b := range bs {
		if !slices.Contains(out, b.Piece) {
			out = append(out, b.Piece)
		}
	}
	return out
}

// seqPicker is a picker of n one-block pieces; peer 1 has those has says
// (nil: all) and is unchoked, and peers 2.. hold pieces to make them common.
func seqPicker(n int, has func(Index) bool, avail map[Index]int) *Picker {
	p := NewPicker(n, BlockSize, int64(n)*BlockSize, 3)
	if has == nil {
		p.HandleHaveAll(1)
	} else {
		p.HandleBitfield(1, has)
	}
	for i, a := range avail {
		for k := range a {
			p.HandleHave(Peer(10+k), i)
		}
	}
	p.HandleUnchoke(1)
	return p
}

func TestPicker_Sequential(t *testing.T) {
	for _, tt := range []struct {
		name   string
		n      int
		window int
		has    func(Index) bool
		avail  map[Index]int // extra peers holding a piece
		skip   []Index
		held   []Index
		high   []Index
		pick   int
		want   []Index
		sorted bool // equal pieces: any order
	}{
		{name: "in order when all equal", n: 20, window: 4, pick: 4, want: []Index{0, 1, 2, 3}, sorted: true},
		{name: "rarest first inside the window", n: 20, window: 4, pick: 4,
			avail: map[Index]int{0: 3, 1: 1, 2: 2, 3: 0}, want: []Index{3, 1, 2, 0}},
		{name: "rare pieces outside the window wait", n: 20, window: 2, pick: 3,
			avail: map[Index]int{0: 5, 1: 4}, want: []Index{1, 0, 2}},
		{name: "window starts at the first missing piece", n: 20, window: 2, pick: 2,
			held: []Index{0, 1, 2}, avail: map[Index]int{3: 1}, want: []Index{4, 3}},
		{name: "skipped pieces move the window", n: 20, window: 2, pick: 2,
			skip: []Index{0, 1}, avail: map[Index]int{2: 1}, want: []Index{3, 2}},
		{name: "nothing in the window: lowest index it has", n: 20, window: 3, pick: 2,
			has: func(i Index) bool { return i == 7 || i == 12 || i == 15 }, avail: map[Index]int{12: 0, 7: 4}, want: []Index{7, 12}},
		{name: "priority before the window", n: 20, window: 3, pick: 2,
			high: []Index{18, 9}, want: []Index{9, 18}, sorted: true},
		{name: "off: rarest over all", n: 20, window: 0, pick: 1,
			avail: func() map[Index]int {
				m := map[Index]int{}
				for i := range 20 {
					m[i] = 2
				}
				m[17] = 0
				return m
			}(), want: []Index{17}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := seqPicker(tt.n, tt.has, tt.avail)
			p.SetSequential(tt.window)
			for _, i := range tt.skip {
				p.SetPriority(i, -1)
			}
			for _, i := range tt.held {
				p.SetHave(i)
			}
			for _, i := range tt.high {
				p.SetPriority(i, 1)
			}
			got := pieceOrder(p.PickFor(1, tt.pick))
			if tt.sorted {
				slices.Sort(got)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("picked pieces %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPicker_SequentialAdvances(t *testing.T) {
	// Verifying what was picked slides the window: over the whole torrent,
	// no piece is picked before one more than a window below it.
	const n, window = 64, 4
	p := seqPicker(n, nil, nil)
	p.SetSequential(window)
	var order []Index
	for !p.Done() {
		bs := p.PickFor(1, 2)
		if len(bs) == 0 {
			t.Fatalf("nothing picked with %d missing", p.Missing())
		}
		for _, b := range bs {
			p.HandleBlock(1, b)
			p.HandleVerified(b.Piece)
			order = append(order, b.Piece)
		}
	}
	for k, i := range order {
		for _, j := range order[k+1:] {
			if j+window <= i {
				t.Fatalf("piece %d picked before %d, a window (%d) below it: order %v", i, j, window, order)
			}
		}
	}
}

func TestPicker_DeadlinesFirst(t *testing.T) {
	// 10 pieces of 2 blocks; a started piece, a high-priority piece and
	// rare pieces all wait for the pieces a reader is due.
	p := NewPicker(10, 2*BlockSize, 20*BlockSize, 5)
	p.HandleHaveAll(1)
	p.HandleHaveAll(2)
	p.HandleUnchoke(1)
	p.HandleUnchoke(2)
	p.HandleHave(3, 0)
	p.SetPriority(9, 1)
	started := p.PickFor(2, 1) // piece 9, half asked
	if len(started) != 1 || started[0].Piece != 9 {
		t.Fatalf("first pick %v, want piece 9", started)
	}
	p.SetDeadline(6, 1)
	p.SetDeadline(4, 0)
	p.SetDeadline(5, 2)
	if got := pieceOrder(p.PickFor(1, 6)); !slices.Equal(got, []Index{4, 6, 5}) {
		t.Fatalf("picked pieces %v, want deadlines in order: [4 6 5]", got)
	}
	for _, i := range []Index{4, 5, 6} {
		p.SetDeadline(i, -1)
	}
	if d := p.Deadline(4); d != -1 {
		t.Fatalf("Deadline(4) = %d after clearing", d)
	}
	// Cleared: back to finishing piece 9, then rarest.
	if got := pieceOrder(p.PickFor(1, 1)); !slices.Equal(got, []Index{9}) {
		t.Fatalf("after clearing, picked %v, want the started piece 9", got)
	}
}

func TestPicker_DeadlineOnSkippedOrHeldPiece(t *testing.T) {
	p := seqPicker(6, nil, nil)
	p.SetPriority(2, -1)
	p.SetHave(3)
	p.SetDeadline(2, 0)
	p.SetDeadline(3, 0)
	p.SetDeadline(4, 1)
	got := p.PickFor(1, 1)
	if len(got) != 1 || got[0].Piece != 4 {
		t.Fatalf("picked %v, want piece 4: a deadline does not make a skipped or held piece wanted", got)
	}
}

func TestPicker_DeadlineHeadDuplicates(t *testing.T) {
	// Piece 0 (the reader's next) is all asked of slow peer 1: peer 2 is
	// asked for its blocks too, the later copy cancelled. Piece 3, due
	// later, gets no duplicates.
	p := NewPicker(8, 2*BlockSize, 16*BlockSize, 9)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	p.SetDeadline(0, 0)
	p.SetDeadline(3, headDup)
	if got := pieceOrder(p.PickFor(1, 4)); !slices.Equal(got, []Index{0, 3}) {
		t.Fatalf("peer 1 picked %v, want [0 3]", got)
	}
	dup := p.PickFor(2, 3)
	if n := blocksOf(dup); n[0] != 2 || n[3] != 0 {
		t.Fatalf("peer 2 picked %v, want both blocks of piece 0 again and none of piece 3", dup)
	}
	useful, cancels, _ := p.HandleBlock(2, dup[0])
	if !useful || len(cancels) != 1 || cancels[0].Peer != 1 {
		t.Fatalf("HandleBlock = %v, %v; want useful and a cancel to peer 1", useful, cancels)
	}
	if p.Requested(1, dup[0]) {
		t.Fatal("peer 1 still has the block peer 2 sent pending")
	}
}

func TestPicker_DeadlineNoDuplicatesForBusyPeer(t *testing.T) {
	// A peer with requests pending gets no duplicates: it would serve them
	// no sooner, and each risks a block arriving twice.
	p := NewPicker(8, 2*BlockSize, 16*BlockSize, 9)
	for _, pr := range []Peer{1, 2} {
		p.HandleHaveAll(pr)
		p.HandleUnchoke(pr)
	}
	p.SetPriority(7, 1)
	if got := p.PickFor(2, 1); len(got) != 1 || got[0].Piece != 7 {
		t.Fatalf("peer 2 picked %v, want piece 7", got)
	}
	p.SetDeadline(0, 0)
	if got := pieceOrder(p.PickFor(1, 2)); !slices.Equal(got, []Index{0}) {
		t.Fatalf("peer 1 picked %v, want piece 0", got)
	}
	if got := p.PickFor(2, 4); blocksOf(got)[0] != 0 {
		t.Fatalf("busy peer 2 picked %v: duplicates of piece 0", got)
	}
}

func TestPicker_ProbationTakesDeadline(t *testing.T) {
	p := seqPicker(8, nil, nil)
	p.SetProbation(1, true)
	p.SetDeadline(5, 0)
	got := p.PickFor(1, 4)
	if len(got) != 1 || got[0].Piece != 5 || p.ProbationPiece(1) != 5 {
		t.Fatalf("peer on probation picked %v (piece %d), want piece 5", got, p.ProbationPiece(1))
	}
}
