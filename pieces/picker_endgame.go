package pieces

// Endgame: once every missing block is asked of someone, a peer that runs
// out of work may be asked for blocks others were asked for, so the last
// pieces do not wait on the slowest queue. Each duplicate risks the block
// arriving twice: a cancel only helps if it reaches the other peer before
// that peer sends the block, and some peers ignore cancels. So:
//   - only a peer with nothing pending gets duplicates, endgameQueue at a
//     time: one still busy would serve them no sooner than the others;
//   - it takes them from the back: the newest piece's last blocks, which
//     their askers would send last. It then steals work the others had
//     not reached (their cancels land in time), rather than racing them
//     for blocks they are sending now;
//   - a piece a peer on probation fetches alone is left to it while other
//     pieces need help, so that its lie fails with one sender.

// pickDuplicates adds to out, for an idle peer in endgame, blocks already
// asked of others (in piece only, when only >= 0).
func (p *Picker) pickDuplicates(pr Peer, pp *pickPeer, n int, only Index, out []Block) []Block {
	if len(out) > 0 || len(pp.reqs) > 0 || !p.endgame() {
		return out
	}
	n = min(n, endgameQueue)
	for _, reservedToo := range []bool{false, true} {
		for k := len(p.order) - 1; k >= 0 && len(out) < n; k-- {
			i := p.order[k]
			if only >= 0 && i != only {
				continue
			}
			pc := p.partial[i]
			if pc.frozen || !p.wanted(i) || !pp.canAsk(i) || p.reserved(pc, pr) != reservedToo {
				continue
			}
			for b := len(pc.blocks) - 1; b >= 0 && len(out) < n; b-- {
				bs := &pc.blocks[b]
				if bs.received || len(bs.askers) >= maxDup || containsPeer(bs.askers, pr) {
					continue
				}
				out = p.ask(pr, pp, i, pc, b, out)
			}
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}
