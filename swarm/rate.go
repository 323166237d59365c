package swarm

import "time"

// rateWindow is how far back a meter looks: short enough that a shown rate
// follows a change within a second or two and is exactly 0 this long after
// the last byte, long enough that one 16 KiB block at a slow rate does not
// make the figure jump between 0 and a burst.
const rateWindow = 1500 * time.Millisecond

// meterIdle is how long a counter must stand still before its rate reads 0
// whatever the window holds: with the engine sampling every 500 ms and the
// session's snapshot up to another 500 ms behind, a stopped transfer then
// shows 0 within 2 s. Below about 16 KiB/s (a block a second) the figure
// may touch 0 between blocks, which is what is happening.
const meterIdle = time.Second

// meterSpacing is the least time between kept samples, which bounds the
// ring whatever the sampling period (tests sample every few milliseconds).
const meterSpacing = 100 * time.Millisecond

// meterRing holds rateWindow/meterSpacing samples, plus the anchor before
// the window and room for uneven spacing.
const meterRing = 24

// meter is the rate of a monotonic byte counter: the bytes counted over
// the last rateWindow divided by rateWindow, reading the counter at the
// window's start between the samples around it. It is owned by the
// goroutine that calls update (the torrent's); rate is read by it too.
//
// It replaces an exponentially weighted rate with a 3 s time constant,
// which showed a third of a new rate after 1.5 s and a few bytes per
// second for 40 s after a transfer stopped.
type meter struct {
	ring  [meterRing]meterSample
	first int // index of the oldest kept sample
	n     int // kept samples
	// moved is when the counter was last seen to change.
	moved time.Time
	rate  float64
}

type meterSample struct {
	at    time.Time
	total int64
}

// update records the counter's total at now and recomputes rate.
func (m *meter) update(total int64, now time.Time) {
	if m.n > 0 {
		last := &m.ring[(m.first+m.n-1)%meterRing]
		if !now.After(last.at) {
			return // no time passed (or the clock went back): keep the rate
		}
		if total != last.total {
			m.moved = now
		}
		if m.n > 1 && now.Sub(m.ring[(m.first+m.n-2)%meterRing].at) < meterSpacing {
			*last = meterSample{now, total} // too close to the one before: move it
		} else {
			m.push(meterSample{now, total})
		}
	} else {
		m.push(meterSample{now, total})
	}
	// Keep one sample at or before the window's start, to read the
	// counter there.
	start := now.Add(-rateWindow)
	for m.n > 1 && !m.ring[(m.first+1)%meterRing].at.After(start) {
		m.first = (m.first + 1) % meterRing
		m.n--
	}
	if now.Sub(m.moved) >= meterIdle {
		m.rate = 0 // standing still: exactly 0, not a tail
		return
	}
	a := m.ring[m.first]
	if a.at.After(start) {
		// Younger than the window: the rate since the first sample.
		if span := now.Sub(a.at); span > 0 && total != a.total {
			m.rate = float64(total-a.total) / span.Seconds()
		} else {
			m.rate = 0
		}
		return
	}
	// The counter at the window's start, interpolated between the samples
	// around it: dividing by the whole window then gives a steady rate
	// exactly, and 0 once the last change is older than the window.
	from := float64(a.total)
	if m.n > 1 {
		b := m.ring[(m.first+1)%meterRing]
		from += float64(b.total-a.total) * float64(start.Sub(a.at)) / float64(b.at.Sub(a.at))
	}
	if float64(total) <= from {
		m.rate = 0 // nothing moved in the window: exactly 0, not a tail
		return
	}
	m.rate = (float64(total) - from) / rateWindow.Seconds()
}

func (m *meter) push(s meterSample) {
	if m.n == meterRing {
		m.first = (m.first + 1) % meterRing
		m.n--
	}
	m.ring[(m.first+m.n)%meterRing] = s
	m.n++
}
