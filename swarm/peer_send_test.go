package swarm

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// TestPeerPipe_RunAfterControlInOrder: a control message queued with a
// run of requests goes out first, then the blocks in order and byte for
// byte, and they are counted, whether the run is sent with writev (a plain
// connection) or through the bufio.Writer (an MSE layer in between, here
// a wrapper).
func TestPeerPipe_RunAfterControlInOrder(t *testing.T) {
	for _, wrapped := range []bool{false, true} {
		name := "writev"
		if wrapped {
			name = "bufio"
		}
		t.Run(name, func(t *testing.T) {
			h := newPipeHost()
			var p *peer
			var remote net.Conn
			if wrapped {
				p, remote = pipePeerWith(t, h, func(c net.Conn) io.ReadWriter { return struct{ io.ReadWriter }{c} })
			} else {
				p, remote = pipePeer(t, h)
			}
			p.amChoking.Store(false)
			want := []pieces.Block{{Piece: 0, Begin: 0, Length: blockSize}, {Piece: 0, Begin: blockSize, Length: blockSize - 5}}
			p.mu.Lock()
			p.ctl = appendIndex(p.ctl, pp.Have, 7)
			p.serve = append(p.serve, want...)
			p.mu.Unlock()
			p.signal()
			// One reader for all: the bufio path sends everything in one write.
			mr := newMsgReader(remote)
			read := func() message {
				t.Helper()
				remote.SetReadDeadline(time.Now().Add(10 * time.Second))
				m, err := mr.read()
				if err != nil {
					t.Fatalf("read from the peer: %v", err)
				}
				return m
			}
			if m := read(); m.Type != pp.Have || m.Index != 7 {
				t.Fatalf("first message %v %d, want have 7", m.Type, m.Index)
			}
			for _, b := range want {
				m := read()
				if m.Type != pp.Piece || int(m.Begin) != b.Begin || int(m.Length) != b.Length {
					t.Fatalf("got %v %d/%d+%d, want the block at %d+%d", m.Type, m.Index, m.Begin, m.Length, b.Begin, b.Length)
				}
				if !bytes.Equal((*m.Block)[:m.Length], h.have[b.Begin:b.Begin+b.Length]) {
					t.Fatalf("block at %d: served bytes differ from the host's", b.Begin)
				}
				putBlock(m.Block)
			}
			if got := h.up.Load(); got != 2*blockSize-5 {
				t.Errorf("counted %d bytes up, want %d", got, 2*blockSize-5)
			}
		})
	}
}

// TestAllocs_SendRunWritev: the writev path allocates nothing per run
// either (see alloc_test.go), on a real TCP connection.
func TestAllocs_SendRunWritev(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	drained := make(chan struct{})
	go func() { io.Copy(io.Discard, other); close(drained) }()
	h := newPipeHost()
	p := &peer{host: h}
	out := &sender{direct: c}
	w := bufio.NewWriterSize(c, 256<<10)
	run := []pieces.Block{{Piece: 0, Begin: 0, Length: blockSize}, {Piece: 0, Begin: blockSize, Length: blockSize}}
	allocs := testing.AllocsPerRun(200, func() {
		if err := p.serveRun(context.Background(), w, out, run); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("serving a run of 2 blocks with writev allocates %.1f times, want 0", allocs)
	}
	c.Close()
	<-drained
}
