package swarm

import (
	"testing"
	"time"
)

func TestQueueDepth(t *testing.T) {
	base := depthIn{perPiece: 16, cap: maxQueue}
	with := func(f func(*depthIn)) depthIn { in := base; f(&in); return in }
	for _, tt := range []struct {
		name string
		in   depthIn
		want int
	}{
		{"a new peer starts at 4", base, 4},
		{"three more per block delivered", with(func(in *depthIn) { in.grown = 1 }), 7},
		{"in a crowd, one request until it sends a block", with(func(in *depthIn) { in.crowded = true }), 1},
		{"in a crowd, then as anywhere", with(func(in *depthIn) { in.crowded, in.grown = true, 1 }), 7},
		{"on probation, at most one piece", with(func(in *depthIn) { in.probation, in.grown = true, 100 }), 16},
		{"on probation, that piece at once", with(func(in *depthIn) { in.probation = true }), 16},
		{"on probation, at once no more than probationBurst", with(func(in *depthIn) { in.probation, in.perPiece = true, 1024 }), probationBurst},
		{"on probation in a crowd, one request", with(func(in *depthIn) { in.probation, in.crowded = true, true }), 1},
		{"trusted: three more per block delivered", with(func(in *depthIn) { in.grown = 16 }), 52},
		{"earned depth from an earlier connection", with(func(in *depthIn) { in.earned = 3000 }), 3000},
		{"no further than maxQueue", with(func(in *depthIn) { in.grown, in.reqq = 1e6, 1e6 }), maxQueue},
		{"nor than unsaidReqq when the peer did not say its reqq", with(func(in *depthIn) { in.grown = 1e6 }), unsaidReqq},
		{"nor than the peer's reqq", with(func(in *depthIn) { in.grown, in.reqq = 1e6, 500 }), 500},
		{"settled: two seconds of its rate", with(func(in *depthIn) { in.grown, in.settled, in.rate = 1e6, true, 100 }), 200},
		{"settled and slow: at least 1", with(func(in *depthIn) { in.grown, in.settled, in.rate = 1e6, true, 0.2 }), 1},
		{"snubbing: its cap", with(func(in *depthIn) { in.grown, in.cap = 1e6, 2 }), 2},
		{"a train's bandwidth-delay product at once", with(func(in *depthIn) { in.grown, in.burst = 200, 3000 }), 3000},
		{"up to burstTrust times what came in time", with(func(in *depthIn) { in.grown, in.burst = 64, 3000 }), 64 * burstTrust},
		{"a sure train's product, however little came", with(func(in *depthIn) { in.grown, in.burst, in.burstSure = 16, 3000, true }), 3000},
		{"a sure train does not lift probation", with(func(in *depthIn) { in.probation, in.burst, in.burstSure = true, 3000, true }), 16},
		{"a train does not lift probation", with(func(in *depthIn) { in.probation, in.burst = true, 3000 }), 16},
		{"nor the cap of late blocks", with(func(in *depthIn) { in.grown, in.burst, in.paced = 200, 3000, 500 }), 500},
		{"earned does not lift probation", with(func(in *depthIn) { in.probation, in.earned = true, 3000 }), 16},
	} {
		if got := queueDepth(tt.in); got != tt.want {
			t.Errorf("%s: queueDepth(%+v) = %d, want %d", tt.name, tt.in, got, tt.want)
		}
	}
}

// The queue opens by the bandwidth-delay product in a few round trips:
// with each round trip delivering what was in flight, a peer at 400 MiB/s
// and 100 ms RTT (2560 blocks in flight) is reached within 6 round trips
// of its probation piece verifying.
func TestQueueDepth_RampsInFewRoundTrips(t *testing.T) {
	const bdp = 2560
	in := depthIn{perPiece: 16, cap: maxQueue, grown: 16}
	trips := 0
	for inFlight := queueDepth(in); inFlight < bdp; inFlight = min(queueDepth(in), bdp) {
		in.grown += inFlight
		trips++
		if trips > 6 {
			t.Fatalf("queue at %d blocks after %d round trips, want %d", queueDepth(in), trips, bdp)
		}
	}
}

func TestRedialAfter(t *testing.T) {
	if d := redialAfter(1, false); d != 0 {
		t.Errorf("a connection that carried data: redial after %v, want at once", d)
	}
	if d := redialAfter(0, false); d != 10*time.Second {
		t.Errorf("a connection that carried nothing: redial after %v, want 10s", d)
	}
	if d := redialAfter(1, true); d != 5*time.Minute {
		t.Errorf("both seeds: redial after %v, want 5m", d)
	}
	var total time.Duration
	for f := 1; f < forgetAfterFails; f++ {
		if f > 1 && dialBackoff(f) <= dialBackoff(f-1) {
			t.Errorf("dialBackoff(%d) = %v, not longer than after %d fails", f, dialBackoff(f), f-1)
		}
		total += dialBackoff(f)
	}
	if dialBackoff(1) > time.Second || dialBackoff(100) != 5*time.Minute {
		t.Errorf("dialBackoff: %v after the first failure (want <= 1s), %v at most (want 5m)", dialBackoff(1), dialBackoff(100))
	}
	t.Logf("an address is forgotten after %v of failed dials", total)
}
