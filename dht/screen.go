package dht

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

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

	mu        sync.Mutex
	responded map[netip.AddrPort]struct{}
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
	ua, isUDP := addr.(*net.UDPAddr)
	if !isUDP {
		return
	}
	ap := ua.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	c.mu.Lock()
	defer c.mu.Unlock()
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
