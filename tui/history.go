package tui

import (
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// historyLen is how many samples the rate graphs keep: ten minutes at the
// default 1 s refresh, and more than the widest terminal shows.
const historyLen = 600

type sample struct {
	at       time.Time
	down, up int64
}

// ring is a fixed-size ring of rate samples, oldest first.
type ring struct {
	buf  []sample
	next int
	full bool
}

func (r *ring) push(s sample) {
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

func (r *ring) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// last returns up to n of the newest samples, oldest first.
func (r *ring) last(n int) []sample {
	l := r.len()
	n = min(n, l)
	out := make([]sample, n)
	start := (r.next - n + len(r.buf)) % len(r.buf)
	for i := range out {
		out[i] = r.buf[(start+i)%len(r.buf)]
	}
	return out
}

// history keeps the rates of the session and of each torrent, sampled from
// snapshots: the engine publishes only the current rate.
type history struct {
	size    int
	session *ring
	byHash  map[swarm.InfoHash]*ring
}

func newHistory(size int) *history {
	return &history{size: size, session: &ring{buf: make([]sample, size)},
		byHash: make(map[swarm.InfoHash]*ring)}
}

func (h *history) record(s *swarm.Snapshot) {
	h.session.push(sample{at: s.Taken, down: s.DownBps, up: s.UpBps})
	seen := make(map[swarm.InfoHash]bool, len(s.Torrents))
	for i := range s.Torrents {
		t := &s.Torrents[i]
		seen[t.InfoHash] = true
		r := h.byHash[t.InfoHash]
		if r == nil {
			r = &ring{buf: make([]sample, h.size)}
			h.byHash[t.InfoHash] = r
		}
		r.push(sample{at: s.Taken, down: t.DownBps, up: t.UpBps})
	}
	for ih := range h.byHash {
		if !seen[ih] {
			delete(h.byHash, ih) // removed torrents
		}
	}
}

func (h *history) of(ih swarm.InfoHash) *ring { return h.byHash[ih] }
