package pieces

import "slices"

func (p *Picker) dropPartial(i Index) {
	pc := p.started(i)
	if pc == nil {
		return
	}
	for b := range pc.blocks {
		for _, a := range pc.blocks[b].askers {
			if pp := p.peers[a]; pp != nil {
				delete(pp.reqs, p.block(i, b))
			}
		}
	}
	p.partial[i] = nil
	p.refresh(i)
	for _, pp := range p.peers {
		if pp.piece == i {
			pp.piece = -1
		}
	}
	if k := slices.Index(p.order, i); k >= 0 {
		p.order = slices.Delete(p.order, k, k+1)
	}
}

func (p *Picker) startPartial(i Index) *partialPiece {
	n := p.numBlocks(i)
	pc := &partialPiece{blocks: make([]blockState, n), unrequested: n, owner: NoPeer}
	p.partial[i] = pc
	p.fresh.clear(i)
	p.order = append(p.order, i)
	return pc
}

// pieces is the set a scan of fresh is narrowed by: the peer's, or nil
// for a peer that has every piece.
func (pp *pickPeer) pieces() bitset {
	if pp.all {
		return nil
	}
	return pp.has
}

// canAsk reports whether peer may be asked for blocks of piece i now.
func (pp *pickPeer) canAsk(i Index) bool {
	if !pp.all && !pp.has.has(i) {
		return false
	}
	return !pp.choked || pp.fast[i]
}

// PickFor returns up to n new blocks to request from peer and records them
// as requested. It returns nil when the peer has nothing we can use.
func (p *Picker) PickFor(pr Peer, n int) []Block {
	pp := p.peers[pr]
	if pp == nil || n <= 0 || p.missing == 0 {
		return nil
	}
	if pp.probation {
		return p.pickProbation(pr, pp, n)
	}
	// A reader waits for these.
	out := p.pickUrgent(pr, pp, n, nil)
	takeFrom := func(i Index, pc *partialPiece) {
		out = p.takeFrom(pr, pp, i, pc, n, out)
	}
	// Finish what is started: fewer half-written pieces, sooner HAVEs.
	// But a seed's upload is for what only seeds have: a piece other
	// peers hold waits until nothing new is left to ask of it.
	for _, i := range p.order {
		if len(out) >= n {
			return out
		}
		if pc := p.partial[i]; p.finish(pr, pp, i, pc) && !(pp.all && p.avail[i] > 0) {
			takeFrom(i, pc)
		}
	}
	for len(out) < n {
		i := p.pickNew(pp)
		if i < 0 {
			break
		}
		takeFrom(i, p.startPartial(i))
	}
	if pp.all {
		for _, i := range p.order {
			if len(out) >= n {
				break
			}
			if pc := p.partial[i]; p.finish(pr, pp, i, pc) && p.avail[i] > 0 {
				takeFrom(i, pc)
			}
		}
	}
	// Nothing else left: help the peers on probation with their pieces
	// rather than let a slow one hold up the end.
	for _, i := range p.order {
		if len(out) >= n {
			return out
		}
		if pc := p.partial[i]; pc.unrequested > 0 && !pc.frozen && p.reserved(pc, pr) && p.wanted(i) && pp.canAsk(i) {
			takeFrom(i, pc)
		}
	}
	return p.pickDuplicates(pr, pp, n, -1, out)
}

// finish reports whether pr may be asked for the rest of started piece i.
func (p *Picker) finish(pr Peer, pp *pickPeer, i Index, pc *partialPiece) bool {
	return pc.unrequested > 0 && !pc.frozen && !p.reserved(pc, pr) && p.wanted(i) && pp.canAsk(i)
}

func (p *Picker) ask(pr Peer, pp *pickPeer, i Index, pc *partialPiece, b int, out []Block) []Block {
	bs := &pc.blocks[b]
	if len(bs.askers) == 0 {
		pc.unrequested--
	}
	bs.askers = append(bs.askers, pr)
	blk := p.block(i, b)
	pp.reqs[blk] = struct{}{}
	return append(out, blk)
}

// takeFrom asks pr for piece i's blocks nobody was asked for, until out
// holds n.
func (p *Picker) takeFrom(pr Peer, pp *pickPeer, i Index, pc *partialPiece, n int, out []Block) []Block {
	for b := 0; b < len(pc.blocks) && len(out) < n && pc.unrequested > 0; b++ {
		if bs := &pc.blocks[b]; !bs.received && len(bs.askers) == 0 {
			out = p.ask(pr, pp, i, pc, b, out)
		}
	}
	return out
}

// pickNew chooses a wanted piece not yet started that the peer can give:
// one a reader waits for, else highest priority, then (in sequential mode)
// in the window, then rarest, ties broken at random; outside the window,
// lowest-numbered first.
func (p *Picker) pickNew(pp *pickPeer) Index {
	for _, i := range p.urgentOrder() {
		if p.partial[i] == nil && pp.canAsk(i) {
			return i
		}
	}
	if p.seqWindow > 0 {
		return p.pickSequential(pp)
	}
	best, bestPrio, bestAvail, ties := -1, int8(0), 0, 0
	start := 0
	if p.numPieces > 0 {
		start = p.rnd.IntN(p.numPieces)
	}
	p.fresh.each(pp.pieces(), start, func(i Index) {
		if !pp.canAsk(i) {
			return
		}
		pr, av := p.prio[i], p.avail[i]
		switch {
		case best < 0 || pr > bestPrio || (pr == bestPrio && av < bestAvail):
			best, bestPrio, bestAvail, ties = i, pr, av, 1
		case pr == bestPrio && av == bestAvail:
			// Reservoir sampling keeps the tie-break uniform.
			ties++
			if p.rnd.IntN(ties) == 0 {
				best = i
			}
		}
	})
	return best
}

// endgame reports whether every missing wanted block has been asked of
// someone: only then do duplicate requests help more than they waste.
func (p *Picker) endgame() bool {
	started := 0
	for _, i := range p.order {
		if !p.wanted(i) {
			continue
		}
		if pc := p.partial[i]; pc.unrequested > 0 && !pc.frozen {
			return false
		}
		started++
	}
	return started == p.missing
}

// Endgame reports whether the picker is duplicating requests.
func (p *Picker) Endgame() bool { return p.missing > 0 && p.endgame() }

// HandleBlock records block b received from peer. useful is false for a
// block we did not want (already held or never requested); cancels are the
// duplicate requests to withdraw; complete says the piece now has every
// block and should be hashed.
func (p *Picker) HandleBlock(pr Peer, b Block) (useful bool, cancels []Cancel, complete bool) {
	if pp := p.peers[pr]; pp != nil {
		delete(pp.reqs, b)
	}
	pc := p.started(b.Piece)
	if pc == nil || b.Begin%BlockSize != 0 || b.Begin/BlockSize >= len(pc.blocks) {
		return false, nil, false
	}
	if b != p.block(b.Piece, b.Begin/BlockSize) {
		return false, nil, false
	}
	bs := &pc.blocks[b.Begin/BlockSize]
	if bs.received || pc.frozen {
		p.unaskOnly(pr, bs)
		return false, nil, false
	}
	if len(bs.askers) == 0 {
		pc.unrequested-- // arrived unasked (e.g. after a choke): still use it
	}
	bs.received = true
	bs.from = pr
	for _, a := range bs.askers {
		if a == pr {
			continue
		}
		if op := p.peers[a]; op != nil {
			delete(op.reqs, b)
		}
		cancels = append(cancels, Cancel{Peer: a, Block: b})
	}
	bs.askers = bs.askers[:0]
	pc.received++
	return true, cancels, pc.received == len(pc.blocks)
}

func (p *Picker) unaskOnly(pr Peer, bs *blockState) {
	if k := slices.Index(bs.askers, pr); k >= 0 {
		bs.askers = slices.Delete(bs.askers, k, k+1)
	}
}

// Senders returns the distinct peers that sent blocks of piece i, for
// blaming them if the piece fails its hash.
func (p *Picker) Senders(i Index) []Peer {
	pc := p.started(i)
	if pc == nil {
		return nil
	}
	var out []Peer
	for _, bs := range pc.blocks {
		if bs.received && !slices.Contains(out, bs.from) {
			out = append(out, bs.from)
		}
	}
	return out
}

// HandleVerified records that piece i passed its hash.
func (p *Picker) HandleVerified(i Index) { p.SetHave(i) }

// HandleFailed records that piece i failed its hash: every block is wanted
// again. Who sent which block stays readable through LastFailed until the
// next HandleFailed.
func (p *Picker) HandleFailed(i Index) {
	p.lastFailed = failedPiece{piece: -1}
	if pc := p.started(i); pc != nil {
		from := make([]Peer, len(pc.blocks))
		for b, bs := range pc.blocks {
			from[b] = NoPeer
			if bs.received {
				from[b] = bs.from
			}
		}
		p.lastFailed = failedPiece{piece: i, from: from, frozen: pc.frozen}
	}
	p.dropPartial(i)
}

// BlockSenders returns the sender of each block of piece i (NoPeer where
// none arrived yet), nil when the piece is not started.
func (p *Picker) BlockSenders(i Index) []Peer {
	pc := p.started(i)
	if pc == nil {
		return nil
	}
	from := make([]Peer, len(pc.blocks))
	for b, bs := range pc.blocks {
		from[b] = NoPeer
		if bs.received {
			from[b] = bs.from
		}
	}
	return from
}

// HandleBadBlocks records that blocks bad (indexes within piece i) of a
// piece that failed its hash are the wrong ones: they alone are wanted
// again, from anyone, and the piece's other blocks are kept. (HandleFailed
// wants every block again.)
func (p *Picker) HandleBadBlocks(i Index, bad []int) {
	pc := p.started(i)
	if pc == nil {
		return
	}
	for _, b := range bad {
		if b < 0 || b >= len(pc.blocks) || !pc.blocks[b].received {
			continue
		}
		pc.blocks[b].received, pc.blocks[b].from = false, NoPeer
		pc.received--
		pc.unrequested++
	}
	pc.owner = NoPeer
}
