package swarm

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// A connection we dial is timed from our handshake to the peer's answer,
// the round trip that vouches for its first train of blocks (queue.go).
// The peer here answers 30 ms after our handshake came.
func TestDial_TimesTheHandshake(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ih InfoHash
	ih[0] = 7
	const delay = 30 * time.Millisecond
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var in [68]byte
		if _, err := io.ReadFull(c, in[:]); err != nil {
			return
		}
		time.Sleep(delay)
		reply := handshake{InfoHash: ih}
		reply.PeerID[0] = 1 // not ours, which is all zeros here
		c.Write(reply.bytes())
		io.Copy(io.Discard, c) // until the dialler hangs up
	}()
	s := &Session{}
	nc, err := s.dialOnce(context.Background(), netip.MustParseAddrPort(l.Addr().String()), ih, false, false)
	if err != nil {
		t.Fatal(err)
	}
	nc.raw.Close()
	<-done
	if nc.handshakeRTT < delay || nc.handshakeRTT > delay+time.Second {
		t.Errorf("the handshake took %v to be answered; want %v or a little more", nc.handshakeRTT, delay)
	}
}
