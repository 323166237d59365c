package pieces

// PickRun picks for a source that fetches byte ranges rather than blocks
// (a BEP 19 web seed): whole pieces that nobody has started, each run of
// them contiguous (from the piece PickFor would start next, on to the
// pieces after it while they are wanted, unstarted and held), so that a
// run is one ranged GET where the files allow. It stops at n blocks, but
// always returns at least one whole piece when there is one. Only the
// source sends the blocks of its pieces, so a piece that fails its hash
// names it alone. It returns nil when no unstarted piece is left; the
// caller may then use PickFor to help with started ones.
func (p *Picker) PickRun(pr Peer, n int) []Block {
	pp := p.peers[pr]
	if pp == nil || n <= 0 || p.missing == 0 || pp.probation {
		return nil
	}
	var out []Block
	for len(out) < n {
		i := p.pickNew(pp)
		if i < 0 {
			break
		}
		for ; i < p.numPieces && p.fresh.has(i) && pp.canAsk(i); i++ {
			if len(out) > 0 && len(out)+p.numBlocks(i) > n {
				return out
			}
			out = p.takeFrom(pr, pp, i, p.startPartial(i), len(out)+p.numBlocks(i), out)
		}
	}
	return out
}
