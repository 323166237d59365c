//go:build linux

package main

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A reset reaches the client at once: what the latency toxic holds in
// flight (megabytes, at loopback speed) is not delivered first, and no
// byte arrives once the client has seen the RST.
func TestProxy_ResetCutsAtOnce(t *testing.T) {
	src, err := newSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p, err := newProxy("test", src.Addr().String(), network{OneWay: 50 * time.Millisecond}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	c, err := dial(p.Listen)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	// Read until the proxy's buffers are full and data flows steadily.
	start := time.Now()
	if _, err := io.CopyN(io.Discard, c, 64<<20); err != nil {
		t.Fatal(err)
	}
	// What the latency toxic holds at the rate just seen: the backlog a
	// reset must not deliver first.
	backlog := int64(float64(64<<20) / time.Since(start).Seconds() * 0.05)
	before := p.meter.view().total
	at := p.reset()
	n, err := io.Copy(io.Discard, c)
	var oe *net.OpError
	if err == nil || !errors.As(err, &oe) {
		t.Fatalf("after the reset the client read %d bytes and %v, want a connection reset", n, err)
	}
	if took := time.Since(at); took > 2*time.Second {
		t.Errorf("the client saw the reset %v after it", took)
	}
	// What was already past the reset toxic may still arrive: a chunk or
	// two and the loopback socket buffers (2 MiB seen on CI), not the
	// latency toxic's backlog.
	limit := max(4<<20, backlog/2)
	if after := p.meter.view().total - before; after > limit {
		t.Errorf("%d bytes went through the meter after the reset, want under %d (the backlog was about %d)", after, limit, backlog)
	}
	t.Logf("reset seen after %v; %d bytes read after it; backlog about %d", time.Since(at), n, backlog)
}

// secondHalf measures from the bucket where half the bytes were in to the
// last bucket with any.
func TestMeterView_SecondHalf(t *testing.T) {
	mib := int64(1 << 20)
	v := meterView{buckets: []int64{0, mib, mib, 4 * mib, 4 * mib, 4 * mib, 0, 0}, total: 14 * mib}
	// Half (7 MiB) is in by bucket 3 (cumulative 6, then 10); after it, 8 MiB in buckets 4-5.
	want := 8.0 / (2 * bucket).Seconds()
	if got := v.secondHalf(); got < want*0.999 || got > want*1.001 {
		t.Errorf("secondHalf = %.2f MiB/s, want %.2f", got, want)
	}
	if got := (meterView{}).secondHalf(); got != 0 {
		t.Errorf("an empty meter's secondHalf = %v, want 0", got)
	}
}
