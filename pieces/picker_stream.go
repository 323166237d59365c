package pieces

import (
	"cmp"
	"slices"
)

// Streaming: two modes on top of rarest-first, both for someone who reads
// the data while it arrives.
//
// Sequential (SetSequential): new pieces come from a window of the next
// Window pieces after the first missing wanted one, rarest first inside
// it, so the download advances in order while peers still spread the
// rare pieces among themselves (the swarm stays healthy). A peer with
// nothing in the window gets the lowest-numbered piece it can give.
// Priority still ranks first: a high file's pieces go before the window.
//
// Deadlines (SetDeadline): pieces a reader waits for (under its read
// offset, and a readahead after it) are asked first, lowest deadline
// first, whatever their priority or rarity; once every block of a piece
// due next (deadline below headDup) is asked of someone, a peer with
// nothing else pending is asked for them too, endgameQueue at a time (at
// most maxDup askers, the late copy cancelled: endgame's rules), so one
// slow peer does not stall the reader. A busy peer would serve them no
// sooner, and every duplicate risks a block arriving twice.

// headDup: pieces whose deadline is below it get endgame-style duplicates
// before endgame; only the reader's next pieces, so little is wasted.
const headDup = 2

// SetSequential turns sequential mode on with a window of window pieces
// (at least 1), or off with 0.
func (p *Picker) SetSequential(window int) {
	p.seqWindow = max(window, 0)
	p.seqFrom = 0
}

// Sequential returns the window SetSequential set, 0 when off.
func (p *Picker) Sequential() int { return p.seqWindow }

// SetDeadline marks piece i as wanted by a reader: d >= 0 is its rank,
// lower is sooner; d < 0 clears it. A deadline on a skipped or held
// piece is kept but has no effect until the piece is wanted.
func (p *Picker) SetDeadline(i Index, d int) {
	if i < 0 || i >= p.numPieces {
		return
	}
	k, found := slices.BinarySearchFunc(p.urgent, i, func(u urgentPiece, i Index) int { return cmp.Compare(u.piece, i) })
	switch {
	case d < 0 && found:
		p.urgent = slices.Delete(p.urgent, k, k+1)
	case d >= 0 && found:
		p.urgent[k].deadline = d
	case d >= 0:
		p.urgent = slices.Insert(p.urgent, k, urgentPiece{piece: i, deadline: d})
	}
}

// Deadline returns piece i's deadline, or -1 if it has none.
func (p *Picker) Deadline(i Index) int {
	k, found := slices.BinarySearchFunc(p.urgent, i, func(u urgentPiece, i Index) int { return cmp.Compare(u.piece, i) })
	if !found {
		return -1
	}
	return p.urgent[k].deadline
}

// urgentPiece is a piece with a deadline; Picker.urgent is sorted by piece.
type urgentPiece struct {
	piece    Index
	deadline int
}

// urgentOrder returns the pieces with deadlines that are still wanted,
// soonest first (ties: lower piece first).
func (p *Picker) urgentOrder() []Index {
	if len(p.urgent) == 0 {
		return nil
	}
	us := make([]urgentPiece, 0, len(p.urgent))
	for _, u := range p.urgent {
		if p.wanted(u.piece) {
			us = append(us, u)
		}
	}
	slices.SortStableFunc(us, func(a, b urgentPiece) int { return cmp.Compare(a.deadline, b.deadline) })
	out := make([]Index, len(us))
	for k, u := range us {
		out[k] = u.piece
	}
	return out
}

// pickUrgent adds to out blocks of pieces with deadlines, soonest first:
// those nobody was asked for, then, for an idle peer and the pieces due
// next, duplicates of blocks asked of another peer.
func (p *Picker) pickUrgent(pr Peer, pp *pickPeer, n int, out []Block) []Block {
	order := p.urgentOrder()
	for _, i := range order {
		if len(out) >= n {
			return out
		}
		if !pp.canAsk(i) {
			continue
		}
		pc := p.partial[i]
		if pc == nil {
			pc = p.startPartial(i)
		}
		if pc.frozen || p.reserved(pc, pr) {
			continue
		}
		out = p.takeFrom(pr, pp, i, pc, n, out)
	}
	if len(pp.reqs) > 0 {
		return out // busy (out's blocks count): no duplicates
	}
	n = min(n, endgameQueue)
	for _, i := range order {
		if len(out) >= n {
			break
		}
		pc := p.partial[i]
		if p.Deadline(i) >= headDup || pc == nil || pc.frozen || pc.unrequested > 0 || !pp.canAsk(i) || p.reserved(pc, pr) {
			continue
		}
		for b := range pc.blocks {
			if len(out) >= n {
				break
			}
			if bs := &pc.blocks[b]; !bs.received && len(bs.askers) > 0 && len(bs.askers) < maxDup && !containsPeer(bs.askers, pr) {
				out = p.ask(pr, pp, i, pc, b, out)
			}
		}
	}
	return out
}

// inWindow reports whether sequential mode is on and piece i lies in its
// window; it moves the window's start up past pieces no longer wanted.
func (p *Picker) inWindow(i Index) bool {
	if p.seqWindow == 0 {
		return false
	}
	for p.seqFrom < p.numPieces && !p.wanted(p.seqFrom) {
		p.seqFrom++
	}
	return i >= p.seqFrom && i < p.seqFrom+p.seqWindow
}

// seqBack moves the window's start back when piece i is wanted again.
func (p *Picker) seqBack(i Index) {
	if p.wanted(i) && i < p.seqFrom {
		p.seqFrom = i
	}
}

// pickSequential is pickNew in sequential mode.
func (p *Picker) pickSequential(pp *pickPeer) Index {
	best, bestPrio, bestIn, bestAvail, ties := -1, int8(0), false, 0, 0
	p.fresh.each(pp.pieces(), 0, func(i Index) {
		if !pp.canAsk(i) {
			return
		}
		pr, in, av := p.prio[i], p.inWindow(i), p.avail[i]
		switch {
		case best < 0 || pr > bestPrio || (pr == bestPrio && in && !bestIn) ||
			(pr == bestPrio && in && bestIn && av < bestAvail):
			best, bestPrio, bestIn, bestAvail, ties = i, pr, in, av, 1
		case pr == bestPrio && in && bestIn && av == bestAvail:
			ties++
			if p.rnd.IntN(ties) == 0 {
				best = i
			}
		}
		// Outside the window the lowest index wins: the scan is in order,
		// so a later piece never replaces an earlier one of equal rank.
	})
	return best
}
