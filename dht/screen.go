package dht

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
)

// screenConn drops datagrams that would crash the library before it sees
// them. anacrolix/dht decodes every packet in its one serving goroutine,
// and some hostile encodings panic there with runtime errors (a peer or
// "ip" address of fewer than two bytes makes a negative slice length),
// which the decoder re-panics and nothing recovers: one datagram would end
// the process. Decoding each packet once more here, under recover, costs a
// little CPU and removes that whole class of bug.
//
// Since it decodes every packet anyway, it also notes which addresses
// answered us (see answered).
type screenConn struct {
	net.PacketConn
	dropped atomic.Int64
	queries atomic.Int64 // queries written; cheaper to read than the library's Stats

	mu        sync.Mutex
	responded map[netip.AddrPort]struct{}
	// asked holds, per address, when we first queried it since it last
	// answered: a node that stays silent is skipped by lookups for a
	// while (see silent), instead of costing each one a timeout.
	asked map[netip.AddrPort]time.Time
}

// WriteTo notes queries (a KRPC dict with y=q; keys are sorted, so "1:y1:q"
// is how that pair is spelled) before sending them.
func (c *screenConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if bytes.Contains(b, []byte("1:y1:q")) {
		c.queries.Add(1)
		if ap, ok := udpAddrPort(addr); ok {
			c.mu.Lock()
			if c.asked == nil {
				c.asked = make(map[netip.AddrPort]time.Time)
			}
			if _, pending := c.asked[ap]; !pending && len(c.asked) < maxResponded {
				c.asked[ap] = time.Now()
			}
			c.mu.Unlock()
		}
	}
	return c.PacketConn.WriteTo(b, addr)
}

// silent reports whether ap was queried more than after ago and has not
// answered since. A late answer clears it; so does time (silentFor), so a
// node that comes back is tried again.
func (c *screenConn) silent(ap netip.AddrPort, after time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.asked[ap]
	if !ok {
		return false
	}
	age := time.Since(t)
	if age > silentFor {
		delete(c.asked, ap)
		return false
	}
	return age > after
}

// silentFor is how long a node that did not answer stays skipped.
const silentFor = 10 * time.Minute

func udpAddrPort(addr net.Addr) (netip.AddrPort, bool) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ua.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// maxResponded bounds the answered set: a state file keeps fewer anyway.
const maxResponded = 4096

func (c *screenConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		ok, reply := decodesSafely(b[:n])
		if ok {
			if reply {
				c.noteResponse(addr)
			}
			return n, addr, err
		}
		c.dropped.Add(1)
	}
}

func (c *screenConn) noteResponse(addr net.Addr) {
	ap, ok := udpAddrPort(addr)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.asked, ap)
	if c.responded == nil {
		c.responded = make(map[netip.AddrPort]struct{})
	}
	if len(c.responded) < maxResponded {
		c.responded[ap] = struct{}{}
	}
}

// answered reports whether ap sent us a KRPC response since the node
// started, and whether anyone did at all.
func (c *screenConn) answered(ap netip.AddrPort) (yes, any bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, yes = c.responded[ap]
	return yes, len(c.responded) > 0
}

// decodesSafely reports whether decoding b as a KRPC message returns
// (with or without an error) rather than panicking, and whether it is a
// response to one of our queries.
func decodesSafely(b []byte) (ok, reply bool) {
	if len(b) < 2 || b[0] != 'd' {
		return true, false // the library ignores what is not a bencoded dict
	}
	defer func() {
		if recover() != nil {
			ok, reply = false, false
		}
	}()
	var m krpc.Msg
	err := bencode.Unmarshal(b, &m)
	return true, err == nil && m.Y == "r"
}
