package swarm

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestHandshakeGate: below half full, one address may take many slots (a
// burst of honest peers behind one address); past half, an address at its
// quota is refused while others get in; a full gate closes its oldest
// entry for a newcomer.
func TestHandshakeGate(t *testing.T) {
	g := newHandshakeGate(8, 2)
	flood, honest := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")
	var conns []net.Conn
	pipe := func() net.Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		conns = append(conns, b)
		return a
	}
	var first *pending
	for k := range 4 {
		p, ok := g.admit(pipe(), flood)
		if !ok {
			t.Fatalf("flood connection %d refused below half full", k)
		}
		if k == 0 {
			first = p
		}
	}
	if _, ok := g.admit(pipe(), flood); ok {
		t.Fatal("a fifth from one address admitted past half full with a quota of 2")
	}
	var hs []*pending
	for k := range 4 {
		p, ok := g.admit(pipe(), honest)
		if !ok && k < 2 {
			t.Fatalf("honest connection %d refused", k)
		}
		if ok {
			hs = append(hs, p)
		}
	}
	if g.count() != 6 {
		t.Fatalf("%d pending; want 4 + 2", g.count())
	}
	// Full: others fill it, then a newcomer evicts the oldest (a flood one).
	g.admit(pipe(), netip.MustParseAddr("127.0.0.4"))
	g.admit(pipe(), netip.MustParseAddr("127.0.0.5"))
	if _, ok := g.admit(pipe(), netip.MustParseAddr("127.0.0.6")); !ok || g.count() != 8 {
		t.Fatalf("newcomer to a full gate: admitted %v, %d pending", ok, g.count())
	}
	if _, err := first.c.Write([]byte{1}); err == nil {
		t.Error("the oldest pending connection was not closed")
	}
	g.done(first) // its goroutine's done after the eviction is harmless
	for _, p := range hs {
		g.done(p)
		g.done(p)
	}
	if g.count() != 6 {
		t.Errorf("%d pending after two finished; want 6", g.count())
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	if sourceKey(v6) != sourceKey(netip.MustParseAddr("2001:db8::ffff")) || sourceKey(flood) == sourceKey(honest) {
		t.Error("an IPv6 /64 is one source; two IPv4 addresses are two")
	}
}

// TestSeekLeechers: a seed announces sooner, doubling, while a tracker
// counts leechers it is not connected to or it has none; a leecher, or a
// seed serving every leecher the tracker knows, keeps the interval.
func TestSeekLeechers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		in        announceInput
		tracker   int
		streak    int
		want      time.Duration
		wantAfter int
	}{
		{"leecher", announceInput{completed: false}, 5, 3, 0, 0},
		{"seed serving all", announceInput{completed: true, leechers: 2}, 2, 3, 0, 0},
		{"seed with none", announceInput{completed: true}, 0, 0, minInterval, 1},
		{"seed missing some", announceInput{completed: true, leechers: 1}, 3, 2, 4 * minInterval, 3},
		{"capped", announceInput{completed: true}, 1, 20, 64 * minInterval, 21},
	} {
		streak := tt.streak
		if got := seekLeechers(tt.in, tt.tracker, &streak); got != tt.want || streak != tt.wantAfter {
			t.Errorf("%s: %v, streak %d; want %v, %d", tt.name, got, streak, tt.want, tt.wantAfter)
		}
	}
}
