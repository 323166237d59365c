package swarm

import (
	"math/rand/v2"
	"slices"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Choking (BEP 3 tit-for-tat). Every 10 s the interested peers are ranked:
// while leeching by how fast they send to us, while seeding by how fast we
// send to them (so the slots go to whoever can take the data; peers rotate
// as their rates change). UploadSlots-1 best are unchoked, plus one
// optimistic unchoke that moves every 30 s so newcomers get a chance to
// prove themselves. Between rechokes a newly interested peer is unchoked at
// once when a slot is free, so a fresh swarm starts without a 10 s wait.

const optimisticEvery = 30 * time.Second

func (t *torrent) unchokedCount() int {
	n := 0
	for _, p := range t.peers {
		if !p.amChokingA {
			n++
		}
	}
	return n
}

func (t *torrent) unchoke(p *peer) {
	if !p.amChokingA {
		return
	}
	p.amChokingA = false
	p.amChoking.Store(false)
	p.send(func(b []byte) []byte { return appendSimple(b, pp.Unchoke) })
}

func (t *torrent) choke(p *peer) {
	if p.amChokingA {
		return
	}
	p.amChokingA = true
	p.optimistic = false
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

func (t *torrent) rechoke() {
	if t.data.Load() == nil {
		return
	}
	var cands []*peer
	var opt *peer
	for _, p := range t.peers {
		if !p.peerInterested {
			t.choke(p)
			continue
		}
		if p.optimistic && time.Since(t.lastOptimistic) < optimisticEvery {
			opt = p
			continue
		}
		cands = append(cands, p)
	}
	seeding := t.completed
	slices.SortFunc(cands, func(a, b *peer) int {
		ra, rb := a.downRate.rate, b.downRate.rate
		if seeding {
			ra, rb = a.upRate.rate, b.upRate.rate
		}
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
	regular := max(t.s.cfg.UploadSlots-1, 1)
	var rest []*peer
	for k, p := range cands {
		if k < regular {
			p.optimistic = false
			t.unchoke(p)
		} else {
			rest = append(rest, p)
		}
	}
	if opt == nil && len(rest) > 0 {
		opt = rest[rand.IntN(len(rest))]
		opt.optimistic = true
		t.lastOptimistic = time.Now()
		t.unchoke(opt)
	}
	for _, p := range rest {
		if p != opt {
			t.choke(p)
		}
	}
}
