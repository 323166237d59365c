//go:build linux

package main

import (
	"sync"
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// bucket is the meter's time resolution.
const bucket = 50 * time.Millisecond

// meter is a pass-through toxic that counts the bytes it passes, in
// 50 ms buckets since epoch, and when each connection passed its first
// 256 KiB (a connection that carries pieces, not just a handshake). One
// meter serves all the connections of its proxy.
type meter struct {
	epoch time.Time // set before the proxy starts

	mu      sync.Mutex
	total   int64
	chunks  int64 // Toxiproxy chunks passed: one per read from the peer's socket
	buckets []int64
	first   time.Time // first and last byte
	last    time.Time
	flowing []time.Time // per connection: when it passed 256 KiB
	links   int         // connections started
	open    map[int]bool
	sent    map[uint64]bool // blocks sent, by index and begin (blockTap)
	fresh   []int64         // per bucket: payload of blocks sent for the first time
}

const flowingBytes = 256 << 10

// Pipe runs once per connection: the meter is never interrupted, since the
// proxy's toxics are all added before it starts.
func (m *meter) Pipe(stub *toxics.ToxicStub) {
	id := m.opened()
	defer m.closed(id)
	var passed int64
	var tap blockTap
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			now := time.Now()
			before := passed
			passed += int64(len(c.Data))
			m.add(now, len(c.Data), before < flowingBytes && passed >= flowingBytes)
			tap.feed(c.Data, func(index, begin uint32, n int) { m.block(now, index, begin, n) })
			stub.Output <- c
		}
	}
}

func (m *meter) opened() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.open == nil {
		m.open = make(map[int]bool)
	}
	m.links++
	m.open[m.links] = true
	return m.links
}

func (m *meter) closed(id int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.open, id)
}

// started is the number of connections so far; anyOpen says whether one
// of the first n is still open.
func (m *meter) started() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.links
}

func (m *meter) anyOpen(n int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.open {
		if id <= n {
			return true
		}
	}
	return false
}

func (m *meter) add(now time.Time, n int, flowing bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buckets = m.addAt(m.buckets, now, n)
	m.total += int64(n)
	m.chunks++
	if m.first.IsZero() {
		m.first = now
	}
	m.last = now
	if flowing {
		m.flowing = append(m.flowing, now)
	}
}

// block counts a block the tap saw leave, if it never left before.
func (m *meter) block(now time.Time, index, begin uint32, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := uint64(index)<<32 | uint64(begin)
	if m.sent[k] {
		return
	}
	if m.sent == nil {
		m.sent = make(map[uint64]bool)
	}
	m.sent[k] = true
	m.fresh = m.addAt(m.fresh, now, n)
}

// addAt adds n to now's bucket of buckets, growing it to reach there.
func (m *meter) addAt(buckets []int64, now time.Time, n int) []int64 {
	i := max(int(now.Sub(m.epoch)/bucket), 0)
	for len(buckets) <= i {
		buckets = append(buckets, 0)
	}
	buckets[i] += int64(n)
	return buckets
}

// meterView is a copy of a meter's counts.
type meterView struct {
	total       int64
	chunks      int64
	buckets     []int64
	first, last time.Time
	flowing     []time.Time
	fresh       []int64
}

func (m *meter) view() meterView {
	m.mu.Lock()
	defer m.mu.Unlock()
	return meterView{m.total, m.chunks, append([]int64(nil), m.buckets...), m.first, m.last,
		append([]time.Time(nil), m.flowing...), append([]int64(nil), m.fresh...)}
}

// rate is the MiB/s in [from, to) since the epoch.
func (v meterView) rate(from, to time.Duration) float64 {
	var sum int64
	for i := int(from / bucket); i < int(to/bucket) && i < len(v.buckets); i++ {
		sum += v.buckets[max(i, 0)]
	}
	return float64(sum) / (1 << 20) / (to - from).Seconds()
}

// secondHalf is the MiB/s of the bytes after the first half of the
// total: the steady rate, once the start-up and the queue's opening are
// behind (a 256 MiB run at 100 ms RTT spends a third of its time there).
func (v meterView) secondHalf() float64 {
	var cum int64
	for i, b := range v.buckets {
		cum += b
		if 2*cum < v.total {
			continue
		}
		end := len(v.buckets)
		for end > i+1 && v.buckets[end-1] == 0 {
			end--
		}
		if end == i+1 {
			return 0
		}
		return float64(v.total-cum) / (1 << 20) / (time.Duration(end-i-1) * bucket).Seconds()
	}
	return 0
}

// sumViews adds several meters' counts up.
func sumViews(vs ...meterView) meterView {
	var s meterView
	for _, v := range vs {
		s.total += v.total
		for len(s.buckets) < len(v.buckets) {
			s.buckets = append(s.buckets, 0)
		}
		for i, b := range v.buckets {
			s.buckets[i] += b
		}
		if !v.first.IsZero() && (s.first.IsZero() || v.first.Before(s.first)) {
			s.first = v.first
		}
		if v.last.After(s.last) {
			s.last = v.last
		}
		s.flowing = append(s.flowing, v.flowing...)
	}
	return s
}
