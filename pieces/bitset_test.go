package pieces

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// each must visit what a scan of every piece from start (wrapping) that
// skips pieces outside either set visits, in the same order: pickNew's
// random tie-break depends on that order.
func TestBitset_EachIsAScanFromStart(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 5, 63, 64, 65, 128, 200} {
		for range 50 {
			a, b := newBitset(n), newBitset(n)
			for i := range n {
				a.put(i, rnd.IntN(3) > 0)
				b.put(i, rnd.IntN(2) > 0)
			}
			start := rnd.IntN(n)
			for _, and := range []bitset{nil, b} {
				var want, got []Index
				for k := range n {
					i := (start + k) % n
					if a.has(i) && (and == nil || and.has(i)) {
						want = append(want, i)
					}
				}
				a.each(and, start, func(i Index) { got = append(got, i) })
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d start=%d and=%v: each visited %v, want %v", n, start, and != nil, got, want)
				}
			}
		}
	}
}

// checkFresh fails t unless fresh holds exactly the wanted pieces not
// started.
func (p *Picker) checkFresh(t *testing.T) {
	t.Helper()
	for i := range p.numPieces {
		if want := p.wanted(i) && p.partial[i] == nil; p.fresh.has(i) != want {
			t.Fatalf("piece %d: in fresh %v, want %v (wanted %v, started %v)", i, p.fresh.has(i), want, p.wanted(i), p.partial[i] != nil)
		}
	}
}
