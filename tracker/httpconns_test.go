package tracker

import (
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// fakeConn is a connection from a chosen address; Close records itself.
type fakeConn struct {
	net.Conn // nil: only RemoteAddr and Close are called
	from     netip.AddrPort
	closed   bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.from) }
func (c *fakeConn) Close() error         { c.closed = true; return nil }

// fakeListener hands out the queued connections in order.
type fakeListener struct {
	net.Listener
	queue []*fakeConn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	if len(l.queue) == 0 {
		return nil, net.ErrClosed
	}
	c := l.queue[0]
	l.queue = l.queue[1:]
	return c, nil
}

// TestConnGuard_SharesByAddressAndSlash64: an IPv6 host holds a whole /64,
// so its addresses share one quota, while another /64 and an IPv4 address
// have their own; when all slots are taken the longest-waiting idle
// connection, not a busy one, makes room.
func TestConnGuard_SharesByAddressAndSlash64(t *testing.T) {
	conn := func(s string) *fakeConn { return &fakeConn{from: netip.MustParseAddrPort(s)} }
	a1, a2, a3 := conn("[2001:db8:1:1::1]:1"), conn("[2001:db8:1:1::2]:1"), conn("[2001:db8:1:1:ffff::3]:1")
	b1, v4, v4b := conn("[2001:db8:1:2::1]:1"), conn("192.0.2.1:1"), conn("[::ffff:192.0.2.1]:2")
	ln := &fakeListener{queue: []*fakeConn{a1, a2, a3, b1, v4, v4b}}
	g := newConnGuard(ln, 4, 2)
	var got []*guardedConn
	for range 4 {
		c, err := g.Accept()
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		got = append(got, c.(*guardedConn))
	}
	// a3 is the same /64 as a1 and a2, over its share of 2: refused.
	if !a3.closed || got[2].Conn != b1 || got[3].Conn != v4 {
		t.Fatalf("accepted %v, %v; a3 closed %v: want a3 refused and b1, v4 accepted", got[2].Conn, got[3].Conn, a3.closed)
	}
	if total, fromA := g.open(netip.MustParseAddr("2001:db8:1:1::99")); total != 4 || fromA != 2 {
		t.Errorf("open = %d total, %d from the /64; want 4 and 2", total, fromA)
	}
	// Full: a1 is busy; a2 has waited longest of the idle ones, so the
	// v4-mapped newcomer (the same host as v4, within its share) takes its slot.
	g.connState(got[0], http.StateActive)
	for _, c := range got[1:] {
		g.connState(c, http.StateIdle)
		time.Sleep(time.Millisecond) // a strict order of waiting
	}
	c, err := g.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if c.(*guardedConn).Conn != v4b || !a2.closed || a1.closed {
		t.Errorf("got %v; a2 closed %v, a1 closed %v: want v4b in, idle a2 out, busy a1 kept", c.(*guardedConn).Conn, a2.closed, a1.closed)
	}
	if total, fromV4 := g.open(netip.MustParseAddr("192.0.2.1")); total != 4 || fromV4 != 2 {
		t.Errorf("open = %d total, %d from 192.0.2.1; want 4 and 2", total, fromV4)
	}
	if g.refusedPerIP.Load() != 1 || g.evictedFull.Load() != 1 {
		t.Errorf("counted %d refused, %d evicted; want 1 and 1", g.refusedPerIP.Load(), g.evictedFull.Load())
	}
}
