package dht

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
)

// packetConn is an in-memory net.PacketConn: the fuzzer writes datagrams
// into in, and the node's replies come out of out. It lets a real Node
// (with the library's server underneath) read hostile packets without a
// socket, one at a time.
type packetConn struct {
	in        chan datagram
	out       chan datagram
	closed    chan struct{}
	closeOnce sync.Once
}

type datagram struct {
	b    []byte
	addr net.Addr
}

func newPacketConn() *packetConn {
	return &packetConn{in: make(chan datagram), out: make(chan datagram, 64), closed: make(chan struct{})}
}

func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.addr, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *packetConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case c.out <- datagram{b: bytes.Clone(b), addr: addr}:
	default: // nobody listens for pings back to the fuzzer's sources
	}
	return len(b), nil
}

func (c *packetConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *packetConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6881}
}
func (c *packetConn) SetDeadline(time.Time) error      { return nil }
func (c *packetConn) SetReadDeadline(time.Time) error  { return nil }
func (c *packetConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzKRPCMessage feeds hostile datagrams to a real Node: every one must be
// survived (no panic, no wedge), proven by the node answering a ping sent
// right after it. Messages that decode must also encode again.
func FuzzKRPCMessage(f *testing.F) {
	id := "abcdefghij0123456789"
	for _, s := range []string{
		"d1:ad2:id20:" + id + "e1:q4:ping1:t2:aa1:y1:qe",
		"d1:ad2:id20:" + id + "6:target20:" + id + "e1:q9:find_node1:t2:aa1:y1:qe",
		"d1:ad2:id20:" + id + "9:info_hash20:" + id + "e1:q9:get_peers1:t2:aa1:y1:qe",
		"d1:ad2:id20:" + id + "12:implied_porti1e9:info_hash20:" + id + "4:porti6881e5:token4:abcde1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:rd2:id20:" + id + "5:nodes26:" + id + "\x7f\x00\x00\x01\x1a\xe1e1:t2:aa1:y1:re",
		"d1:rd2:id20:" + id + "5:token4:abcd6:valuesl6:\x7f\x00\x00\x01\x1a\xe1ee1:t2:aa1:y1:re",
		"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
		"d1:ad2:id20:" + id + "e1:q4:ping1:t2:aa1:y1:q2:roi1ee",
		"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",
		"d1:q4:ping1:t2:aa1:y1:qe",
		"de",
		"l",
	} {
		f.Add([]byte(s))
	}
	fc := newPacketConn()
	n := newNode(f, Config{Conn: fc})
	_ = n
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 4000}
	prober := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3), Port: 4001}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m krpc.Msg
		// Some inputs panic the library's decoder; the node screens those
		// out (screen.go), and what follows checks it survives them.
		if ok, _ := decodesSafely(b); ok && bencode.Unmarshal(b, &m) == nil {
			if _, err := bencode.Marshal(m); err != nil {
				t.Fatalf("decoded %q but cannot encode it again: %v", b, err)
			}
		}
		deliver := func(d datagram) {
			select {
			case fc.in <- d:
			case <-time.After(5 * time.Second):
				t.Fatalf("node stopped reading after %q", b)
			}
		}
		deliver(datagram{b: b, addr: from})
		// The server drops replies beyond its send rate, so a missed
		// answer is asked again; a wedged node misses all of them.
		for try := range 10 {
			tid := fmt.Sprintf("z%d", try)
			deliver(datagram{b: []byte("d1:ad2:id20:zyxwvutsrqponmlkjihge1:q4:ping1:t" + fmt.Sprint(len(tid)) + ":" + tid + "1:y1:qe"), addr: prober})
			wait := time.After(500 * time.Millisecond)
		read:
			for {
				select {
				case d := <-fc.out:
					var r krpc.Msg
					if d.addr.String() == prober.String() && bencode.Unmarshal(d.b, &r) == nil && r.T == tid {
						if r.Y != "r" {
							t.Fatalf("ping after %q answered with %q", b, d.b)
						}
						return
					}
				case <-wait:
					break read
				}
			}
		}
		t.Fatalf("node stopped answering pings after %q", b)
	})
}
