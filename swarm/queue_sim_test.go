package swarm

import (
	"cmp"
	"testing"
	"time"
)

// queueSim is one peer's request queue on a synthetic clock: requests
// reach the peer oneWay after we send them, it serves them in order at
// rate blocks a second, and each block reaches us oneWay after it was
// sent. On each block we do what the reader and request do:
// slowStart.observe, then top up to queueDepth in batches of a quarter.
type queueSim struct {
	rate   float64 // blocks per second the peer sends
	oneWay time.Duration
	// The peer stalls for stall at stallAt (a descheduled process, a
	// garbage collection), once.
	stallAt, stall time.Duration
	// Our reader stalls for readStall at stallAt, once: blocks that reach
	// us meanwhile are read together when it ends, microseconds apart.
	readStall time.Duration
	// probation: the first 16 requests are the probation piece, asked
	// at once. timed: the handshake's round trip is known (a connection
	// we dialled).
	probation, timed bool

	now      time.Duration
	ramp     slowStart
	inFlight []simReq // in request order, which is arrival order
	peerFree time.Duration
	from, to time.Duration // the window idle counts
	idle     time.Duration // the peer's time with nothing to send, in the window
	maxOut   int           // requests outstanding at most, in the window
	peak     int           // and at any time
	fullAt   time.Duration // when inFlight first held the bandwidth-delay product
	got      int           // blocks received
}

type simReq struct{ asked, arrives time.Duration }

var epoch = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func (s *queueSim) topUp() {
	target := queueDepth(depthIn{perPiece: 16, probation: s.probation && s.got < 16, grown: s.ramp.grown,
		paced: s.ramp.cap(), burst: s.ramp.burst(), burstSure: s.ramp.sure(), cap: maxQueue})
	want := target - len(s.inFlight)
	if want < target/4 && len(s.inFlight) > 0 {
		return
	}
	per := time.Duration(float64(time.Second) / s.rate)
	for range want {
		start := max(s.now+s.oneWay, s.peerFree)
		if s.stall > 0 && start >= s.stallAt {
			start += s.stall
			s.stall = 0
		}
		s.countIdle(s.peerFree, start)
		s.peerFree = start + per
		s.inFlight = append(s.inFlight, simReq{s.now, s.peerFree + s.oneWay})
	}
	s.peak = max(s.peak, len(s.inFlight))
	if s.now >= s.from {
		s.maxOut = max(s.maxOut, len(s.inFlight))
	}
	if bdp := int(s.rate * (2 * s.oneWay).Seconds()); s.fullAt == 0 && len(s.inFlight) >= bdp {
		s.fullAt = s.now
	}
}

// countIdle adds the part of the gap [a, b) inside the window.
func (s *queueSim) countIdle(a, b time.Duration) {
	if a, b = max(a, s.from), min(b, s.to); b > a {
		s.idle += b - a
	}
}

// run simulates until d and returns the share of its second half the
// peer spent sending (1: our queue never let it idle).
func (s *queueSim) run(d time.Duration) float64 {
	s.from, s.to = d/2, d
	if s.timed {
		s.ramp.handshake = 2 * s.oneWay
	}
	s.topUp()
	for s.now < d && len(s.inFlight) > 0 {
		r := s.inFlight[0]
		s.inFlight = s.inFlight[1:]
		read := r.arrives
		if end := s.stallAt + s.readStall; s.readStall > 0 && read >= s.stallAt && read < end {
			read = max(end, s.now+time.Microsecond)
		}
		s.now = max(read, s.now)
		s.ramp.observe(epoch.Add(r.asked), epoch.Add(s.now))
		s.got++
		s.topUp()
	}
	s.countIdle(s.peerFree, d)
	return 1 - s.idle.Seconds()/(d-d/2).Seconds()
}

// The queue opens by the bandwidth-delay product within a few round trips
// and keeps the peer sending, over long and short paths; and it settles
// near it: once open, a peer's queue holds a fraction of a second of its
// data, not the seconds the end of a download would then wait on.
// Before slowStart, every delivered block grew the queue by three until
// the rate meter settled (3 s): the 1 MB/s peer below then held 505
// blocks (8 s of its data) and the 8 MB/s one 4048 (8 s).
func TestQueueDepth_GrowsToTheBDPAndNoFurther(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    float64 // blocks/s
		oneWay  time.Duration
		fullIn  time.Duration // the queue holds the BDP within this
		settled time.Duration // and then at most this much of the peer's data
		d       time.Duration // simulated (3 s if 0: then the rate meter settles, and its cap joins slowStart's)
		stall   time.Duration // the peer stalls this long 250 ms in
		timed   bool          // the handshake's round trip is known
	}{
		// Slow start alone reached it after 524 ms; the first trains'
		// rate opens it by up to burstTrust times what came: 307 ms.
		{"400 MiB/s at 100 ms RTT", 400 << 6, 50 * time.Millisecond, 350 * time.Millisecond, 300 * time.Millisecond, 0, 0, false},
		{"8 MB/s at 50 ms RTT", 8e6 / blockSize, 25 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond, 0, 0, false},
		{"1 MB/s at 50 ms RTT", 1e6 / blockSize, 25 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 0, 0, false},
		{"50 KB/s at 200 ms RTT", 50e3 / blockSize, 100 * time.Millisecond, 2 * time.Second, 2 * time.Second, 10 * time.Second, 0, false},
		{"550 MiB/s on loopback", 550 << 6, 50 * time.Microsecond, 100 * time.Millisecond, 150 * time.Millisecond, 0, 0, false},
		// A stall while the queue opens must not stop its growth for
		// good: capped from the first late block on, it reached the
		// BDP after 1.66 s, and the peer idled 8% of the second half.
		// (Slow start alone: 776 ms; with trains, 560.)
		{"400 MiB/s at 100 ms RTT, a 150 ms stall", 400 << 6, 50 * time.Millisecond, 650 * time.Millisecond, 300 * time.Millisecond, 0, 150 * time.Millisecond, false},
		// The handshake's round trip vouches for the probation piece's
		// train: the queue opens to its product at once, 307 ms sooner.
		{"400 MiB/s at 100 ms RTT, the handshake timed", 400 << 6, 50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond, 0, 0, true},
		{"1 MB/s at 50 ms RTT, the handshake timed", 1e6 / blockSize, 25 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &queueSim{rate: tc.rate, oneWay: tc.oneWay, stallAt: 250 * time.Millisecond, stall: tc.stall,
				probation: tc.timed, timed: tc.timed}
			busy := s.run(cmp.Or(tc.d, 3*time.Second))
			of := func(n int) time.Duration {
				return time.Duration(float64(n) / tc.rate * float64(time.Second)).Round(time.Millisecond)
			}
			t.Logf("BDP %d blocks, reached after %v; at most %d queued (%v of its data) in the second half, %d (%v) at the peak; busy %.1f%% of the second half",
				int(tc.rate*(2*tc.oneWay).Seconds()), s.fullAt, s.maxOut, of(s.maxOut), s.peak, of(s.peak), 100*busy)
			if s.fullAt == 0 || s.fullAt > tc.fullIn {
				t.Errorf("the queue held the bandwidth-delay product after %v, want within %v", s.fullAt, tc.fullIn)
			}
			if busy < 0.99 {
				t.Errorf("the peer sent %.1f%% of the time once the queue was open, want 99%%", 100*busy)
			}
			if of(s.maxOut) > tc.settled && s.maxOut > 4 {
				t.Errorf("up to %d requests queued, %v of the peer's data; want at most %v", s.maxOut, of(s.maxOut), tc.settled)
			}
		})
	}
}

// Blocks our reader finds waiting together after it stalled came faster
// than any path: taken for a train, a 1 MB/s peer 200 ms away looked like
// one of 250 MiB/s (16 blocks read within a millisecond), and its queue
// opened to 4096 blocks, 67 s of its data, that the end of the download
// would wait on. A train's first block then came late by the stall, and
// that is counted into the train's time: the queue holds no more than
// without the stall.
func TestQueueDepth_AReaderStallIsNoTrain(t *testing.T) {
	rate := 1e6 / blockSize
	peak := func(stall time.Duration) int {
		s := &queueSim{rate: rate, oneWay: 100 * time.Millisecond, stallAt: 1500 * time.Millisecond, readStall: stall}
		s.run(3 * time.Second)
		return s.peak
	}
	calm, stalled := peak(0), peak(500*time.Millisecond)
	held := time.Duration(float64(stalled) / rate * float64(time.Second)).Round(time.Millisecond)
	t.Logf("at most %d requests queued with a 500 ms stall of our reader (%v of the peer's data), %d without", stalled, held, calm)
	if stalled > calm {
		t.Errorf("after a 500 ms stall of our reader, %d requests queued at a 1 MB/s peer (%v of its data); want no more than the %d without the stall", stalled, held, calm)
	}
}

// The handshake's round trip lets the probation piece's train open the
// queue past burstTrust times what came, but only when the train's first
// block came that round trip after its request. Our reader stalled on
// that piece, its blocks are read together and look as fast as any path;
// the first block is late by the stall, so the train is not sure and the
// queue opens no further than had the handshake not been timed. Taken as
// sure, a 1 MB/s peer 200 ms away was asked for 4096 blocks, 67 s of its
// data.
func TestQueueDepth_AStalledProbationPieceIsNotSure(t *testing.T) {
	rate := 1e6 / blockSize
	peak := func(timed bool) int {
		s := &queueSim{rate: rate, oneWay: 100 * time.Millisecond, stallAt: 200 * time.Millisecond,
			readStall: 500 * time.Millisecond, probation: true, timed: timed}
		s.run(time.Second) // before the rate meter would settle
		return s.peak
	}
	untimed, timed := peak(false), peak(true)
	held := time.Duration(float64(timed) / rate * float64(time.Second)).Round(time.Millisecond)
	t.Logf("a 500 ms stall of our reader over the probation piece: at most %d requests queued with the handshake timed (%v of the peer's data), %d without", timed, held, untimed)
	if timed > untimed {
		t.Errorf("with the handshake timed, %d requests queued at a 1 MB/s peer after our reader stalled over its probation piece (%v of its data); want no more than the %d without", timed, held, untimed)
	}
}
