package pieces

// Containing peers that send corrupt data. A peer on probation (one that
// has not yet sent a block of a piece that verified) works on one piece at
// a time, preferably one nobody else touches: if it lies, that piece fails
// with it as the only sender and it can be banned having wasted one piece,
// not a pipeline spread over many. When a peer is banned, DropFrom freezes
// the pieces its blocks still poison.

// NoPeer marks a block nobody sent in LastFailed.
const NoPeer Peer = -1

type failedPiece struct {
	piece  Index
	from   []Peer
	frozen bool
}

// SetProbation puts peer on probation (on) or takes it off. On probation
// its requests, and the blocks it sent that are not yet verified, all lie
// in one piece: a fresh one when there is one, else a started one.
func (p *Picker) SetProbation(pr Peer, on bool) {
	pp := p.peer(pr)
	if pp.probation != on {
		p.disown(pr, pp)
		pp.probation = on
		pp.piece = -1
	}
}

// disown gives up the piece peer was confined to, if it started it.
func (p *Picker) disown(pr Peer, pp *pickPeer) {
	if pp.piece < 0 {
		return
	}
	if pc := p.partial[pp.piece]; pc != nil && pc.owner == pr {
		pc.owner = NoPeer
	}
}

// reserved reports whether pc is left to the peer on probation that
// started it, for any peer but pr: only while that peer has requests
// pending, so a choked or snubbed owner holds nothing up, and others
// take reserved blocks only when nothing else is left to ask.
func (p *Picker) reserved(pc *partialPiece, pr Peer) bool {
	if pc.owner == NoPeer || pc.owner == pr {
		return false
	}
	op := p.peers[pc.owner]
	return op != nil && len(op.reqs) > 0 && op.probation
}

// OnProbation reports whether peer is on probation.
func (p *Picker) OnProbation(pr Peer) bool {
	pp := p.peers[pr]
	return pp != nil && pp.probation
}

// ProbationPiece is the piece a peer on probation works on, or -1.
func (p *Picker) ProbationPiece(pr Peer) Index {
	if pp := p.peers[pr]; pp != nil && pp.probation {
		return pp.piece
	}
	return -1
}

func (p *Picker) pickProbation(pr Peer, pp *pickPeer, n int) []Block {
	i := pp.piece
	if i < 0 {
		if len(pp.reqs) > 0 {
			// Requests from before the probation began spread over
			// pieces: let them drain before starting its one piece.
			return nil
		}
		// A fresh piece only it fetches, so a failure names it alone.
		if i = p.pickNew(pp); i >= 0 {
			p.startPartial(i).owner = pr
		} else {
			i = p.sharedFor(pr, pp)
		}
		if i < 0 {
			return nil
		}
	}
	pc := p.partial[i]
	if pc == nil || pc.frozen || !p.wanted(i) || !pp.canAsk(i) {
		return nil
	}
	out := p.takeFrom(pr, pp, i, pc, n, nil)
	out = p.pickDuplicates(pr, pp, n, i, out)
	if len(out) > 0 {
		pp.piece = i
	}
	return out
}

// sharedFor chooses, when no fresh piece is left, a started piece with
// blocks a peer on probation can be asked for: the one with the most
// nobody was asked for, else (endgame) one with room for a duplicate.
func (p *Picker) sharedFor(pr Peer, pp *pickPeer) Index {
	best, bestFree := -1, 0
	for _, i := range p.order {
		pc := p.partial[i]
		if pc.frozen || p.reserved(pc, pr) || !p.wanted(i) || !pp.canAsk(i) {
			continue
		}
		if pc.unrequested > bestFree {
			best, bestFree = i, pc.unrequested
		}
	}
	if best >= 0 || !p.endgame() {
		return best
	}
	for _, i := range p.order {
		pc := p.partial[i]
		if pc.frozen || !p.wanted(i) || !pp.canAsk(i) {
			continue
		}
		for _, bs := range pc.blocks {
			if !bs.received && len(bs.askers) < maxDup && !containsPeer(bs.askers, pr) {
				return i
			}
		}
	}
	return -1
}

func containsPeer(s []Peer, pr Peer) bool {
	for _, x := range s {
		if x == pr {
			return true
		}
	}
	return false
}

// DropFrom freezes every started, not yet complete piece holding a block
// received from peer (banned: its blocks are poison). A frozen piece gets
// no more picks and its pending requests are withdrawn and returned as
// cancels; the caller has it hashed, which fails, and HandleFailed then
// makes every block wanted again. Complete pieces are left alone: their
// hash is already on its way.
func (p *Picker) DropFrom(pr Peer) (dropped []Index, cancels []Cancel) {
	for _, i := range p.order {
		pc := p.partial[i]
		if pc.frozen || pc.received == len(pc.blocks) {
			continue
		}
		poisoned := false
		for _, bs := range pc.blocks {
			if bs.received && bs.from == pr {
				poisoned = true
				break
			}
		}
		if !poisoned {
			continue
		}
		pc.frozen = true
		for b := range pc.blocks {
			bs := &pc.blocks[b]
			blk := p.block(i, b)
			for _, a := range bs.askers {
				if op := p.peers[a]; op != nil {
					delete(op.reqs, blk)
				}
				cancels = append(cancels, Cancel{Peer: a, Block: blk})
			}
			if !bs.received && len(bs.askers) > 0 {
				pc.unrequested++
			}
			bs.askers = bs.askers[:0]
		}
		dropped = append(dropped, i)
	}
	return dropped, cancels
}

// LastFailed returns, for piece i when it is the one HandleFailed last
// reset, the sender of each block (NoPeer where none arrived) and whether
// DropFrom had frozen it (then it failed for being reset, not for a bad
// hash of a complete piece).
func (p *Picker) LastFailed(i Index) (from []Peer, frozen, ok bool) {
	if p.lastFailed.piece != i || i < 0 {
		return nil, false, false
	}
	return p.lastFailed.from, p.lastFailed.frozen, true
}
