package swarm

import (
	"math"
	"testing"
	"time"
)

// TestMeter: a steady rate is shown as it is within a second or two, a stop
// reads exactly 0 once the window has passed, and sparse or dense sampling
// gives the same answer.
func TestMeter(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	for _, every := range []time.Duration{5 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		var m meter
		const bps = 300 << 10
		var total int64
		at := func(d time.Duration) time.Time { return t0.Add(d) }
		// 6 s at 300 KiB/s, then nothing.
		var stopAt time.Duration = 6 * time.Second
		var rateAt2s float64
		var zeroAfter time.Duration = -1
		for d := time.Duration(0); d <= 12*time.Second; d += every {
			if d <= stopAt {
				total = int64(float64(bps) * d.Seconds())
			}
			m.update(total, at(d))
			if d >= 2*time.Second && rateAt2s == 0 {
				rateAt2s = m.rate
			}
			if d > stopAt && m.rate == 0 && zeroAfter < 0 {
				zeroAfter = d - stopAt
			}
			if d > stopAt && zeroAfter >= 0 && m.rate != 0 {
				t.Errorf("every %v: rate %v again at %v after reaching 0", every, m.rate, d)
			}
		}
		if math.Abs(rateAt2s-bps)/bps > 0.01 {
			t.Errorf("every %v: rate %v after 2 s at %d B/s", every, rateAt2s, bps)
		}
		if zeroAfter < 0 || zeroAfter > meterIdle+every {
			t.Errorf("every %v: rate reached 0 %v after the stop, want within %v", every, zeroAfter, meterIdle+every)
		}
	}
}

// TestMeter_StepUp: the shown rate follows a jump from 100 KiB/s to
// 1 MiB/s to within 10% in under 2 s at the engine's 500 ms sampling.
func TestMeter_StepUp(t *testing.T) {
	var m meter
	t0 := time.Unix(1_000_000, 0)
	var total int64
	const step = 500 * time.Millisecond
	for d := time.Duration(0); d < 10*time.Second; d += step {
		m.update(total, t0.Add(d))
		total += 100 << 10 / 2
	}
	var took time.Duration
	for d := 10 * time.Second; d < 20*time.Second; d += step {
		total += 1 << 20 / 2
		m.update(total, t0.Add(d+step))
		if math.Abs(m.rate-(1<<20))/(1<<20) < 0.1 {
			took = d + step - 10*time.Second
			break
		}
	}
	if took == 0 || took > 2*time.Second {
		t.Errorf("1 MiB/s shown within 10%% after %v; want at most 2s (rate %v)", took, m.rate)
	}
}
