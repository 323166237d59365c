package dht

import (
	"net"
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
type screenConn struct {
	net.PacketConn
	dropped atomic.Int64
}

func (c *screenConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || decodesSafely(b[:n]) {
			return n, addr, err
		}
		c.dropped.Add(1)
	}
}

// decodesSafely reports whether decoding b as a KRPC message returns
// (with or without an error) rather than panicking.
func decodesSafely(b []byte) (ok bool) {
	if len(b) < 2 || b[0] != 'd' {
		return true // the library ignores what is not a bencoded dict
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var m krpc.Msg
	_ = bencode.Unmarshal(b, &m)
	return true
}
