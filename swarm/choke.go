package swarm

import (
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Choking as the torrent's goroutine applies it; the policy is choker's
// (choker.go). choke and unchoke queue the messages and set amChoking,
// which only the loop writes and the reader and writer read.

func (t *torrent) unchokedCount() int {
	n := 0
	for _, p := range t.peers {
		if !p.amChoking.Load() {
			n++
		}
	}
	return n
}

func (t *torrent) unchoke(p *peer) {
	if !p.amChoking.Load() {
		return
	}
	p.amChoking.Store(false)
	p.servedSince = time.Now()
	p.send(func(b []byte) []byte { return appendSimple(b, pp.Unchoke) })
}

func (t *torrent) choke(p *peer) {
	if p.amChoking.Load() {
		return
	}
	p.amChoking.Store(true)
	p.mu.Lock()
	if p.fast {
		for _, b := range p.serve {
			p.ctl = appendRequest(p.ctl, pp.Reject, uint32(b.Piece), uint32(b.Begin), uint32(b.Length))
		}
	}
	p.serve = p.serve[:0]
	p.ctl = appendSimple(p.ctl, pp.Choke)
	p.mu.Unlock()
	p.signal()
}

// rechoke applies the choker's decision (choker.go) to the peers.
func (t *torrent) rechoke() {
	if t.data.Load() == nil {
		return
	}
	t.superRefresh() // offers whose patience ran out (superseed.go)
	now := time.Now()
	ps := make([]*peer, 0, len(t.peers))
	cs := make([]chokePeer, 0, len(t.peers))
	for _, p := range t.peers {
		ps = append(ps, p)
		cs = append(cs, chokePeer{
			id: int(p.id), interested: p.peerInterested, interestedAt: p.interestedAt,
			unchoked: !p.amChoking.Load(), unchokedAt: p.servedSince,
			down: p.downRate.rate, up: p.upRate.rate, snubbed: p.Snubbed(),
		})
	}
	var decided []bool
	if ss := t.superSeeding(); ss != nil {
		decided = t.superChokes(ss, ps, cs)
	} else {
		decided = t.choker.decide(now, t.completed, t.xfer.up.Load(), cs)
	}
	for i, unchoke := range decided {
		if unchoke {
			t.unchoke(ps[i])
		} else {
			t.choke(ps[i])
		}
	}
}

// Snubbed says p unchoked us while we want its data, yet sent nothing for
// 30 s.
func (p *peer) Snubbed() bool {
	return p.amInterested && !p.peerChoking && time.Since(latest(p.lastBlock, p.connectedAt)) > 30*time.Second
}
