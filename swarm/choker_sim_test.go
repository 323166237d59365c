package swarm

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// A simulated seed for the choker: no clock, no network. Each tick the
// choker decides, then the uplink is shared among the unchoked peers, as
// TCP would share it (equal shares, a peer that takes less leaving the
// rest to the others), and each peer's rate is what it got.

type simPeer struct {
	take float64 // bytes/s the peer can take at most
	got  float64 // bytes received, all told
	chokePeer
}

type seedSim struct {
	c      choker
	uplink float64 // bytes/s; +Inf: the peers' own limits are all there is
	peers  []*simPeer
	now    time.Time
	sent   float64
}

func (s *seedSim) join(take float64) *simPeer {
	p := &simPeer{take: take, chokePeer: chokePeer{id: len(s.peers) + 1, interested: true, interestedAt: s.now}}
	s.peers = append(s.peers, p)
	return p
}

// tick decides, then moves one chokeTick of data.
func (s *seedSim) tick() {
	in := make([]chokePeer, len(s.peers))
	for i, p := range s.peers {
		in[i] = p.chokePeer
	}
	var open []*simPeer
	for i, u := range s.c.decide(s.now, true, int64(s.sent), in) {
		p := s.peers[i]
		if u && !p.unchoked {
			p.unchokedAt = s.now
		}
		p.unchoked, p.up = u, 0
		if u {
			open = append(open, p)
		}
	}
	// Water-filling: the slowest takers first, each its limit or an equal share of what is left.
	slices.SortFunc(open, func(a, b *simPeer) int { return int(math.Copysign(1, a.take-b.take)) })
	left := s.uplink
	for k, p := range open {
		p.up = min(p.take, left/float64(len(open)-k))
		left -= p.up
	}
	for _, p := range open {
		p.got += p.up * chokeTick.Seconds()
		s.sent += p.up * chokeTick.Seconds()
	}
	s.now = s.now.Add(chokeTick)
}

func (s *seedSim) run(d time.Duration, each func()) {
	for end := s.now.Add(d); s.now.Before(end); {
		s.tick()
		if each != nil {
			each()
		}
	}
}

// The seed: slots held by slow leechers; a fast one joins later.
// It is unchoked within 10 s and then never loses its slot, whether the
// uplink is the limit or the leechers are.
func TestChoker_SimFastNewcomerNeverStarved(t *testing.T) {
	for _, uplink := range []float64{math.Inf(1), 4e6} {
		t.Run(fmt.Sprintf("uplink %g", uplink), func(t *testing.T) {
			s := &seedSim{c: newChoker(4, first), uplink: uplink, now: t0}
			for range 49 {
				s.join(256e3)
			}
			s.run(60*time.Second, nil)
			fast := s.join(math.Inf(1))
			joined := s.now
			s.run(10*time.Second, nil)
			if fast.unchokedAt.IsZero() {
				t.Fatalf("the fast leecher was not unchoked within 10 s of joining")
			}
			t.Logf("unchoked %v after joining", fast.unchokedAt.Sub(joined))
			s.run(2*time.Minute, func() {
				if !fast.unchoked {
					t.Fatalf("at +%v after joining, the fast leecher was choked", s.now.Sub(joined))
				}
			})
			var slow float64
			for _, p := range s.peers[:49] {
				slow = max(slow, p.got)
			}
			if fast.got <= slow {
				t.Errorf("the fast leecher got %.0f bytes, no more than the best slow one's %.0f", fast.got, slow)
			}
		})
	}
}

// Slots follow the total upload: while the leechers are the limit, each
// slot opened raises it and slots keep opening; when the uplink is, an
// opened slot raises nothing and is closed again.
func TestChoker_SimSlotsFollowTheTotal(t *testing.T) {
	s := &seedSim{c: newChoker(4, first), uplink: math.Inf(1), now: t0}
	for range 40 {
		s.join(100e3)
	}
	s.run(200*time.Second, nil)
	if s.c.slots < 4+12 { // one more a round, after the first
		t.Errorf("after 200 s of leechers that each take 100 KB/s from an unlimited uplink: %d slots, want at least 16", s.c.slots)
	}
	s = &seedSim{c: newChoker(4, first), uplink: 1e6, now: t0}
	for range 40 {
		s.join(1e6)
	}
	s.run(200*time.Second, func() {
		if s.c.slots > 5 {
			t.Fatalf("at %v, with the uplink full: %d slots, want at most one probe over 4", s.now.Sub(t0), s.c.slots)
		}
	})
	// The leechers leave: slots nobody wants close.
	for _, p := range s.peers[2:] {
		p.interested = false
	}
	s.run(20*time.Second, nil)
	if s.c.slots != 4 {
		t.Errorf("with 2 interested peers: %d slots, want the configured 4", s.c.slots)
	}
}
