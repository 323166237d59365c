package swarm

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// Per-block garbage: a seed of 1,000 peers holds 512 KiB of bufio buffers
// for each, which sets the GC's goal near 1 GB; a few bytes of garbage
// per block served then piled up, untouched by any GC, into 100-250 MiB
// of RSS in bench/manypeers. Reading a request and serving a block
// allocate nothing.

func TestAllocs_ReadRequest(t *testing.T) {
	var msg []byte
	for range 1000 {
		msg = appendRequest(msg, pp.Request, 3, 16<<10, 16<<10)
	}
	src := bytes.NewReader(msg)
	m := newMsgReader(src)
	allocs := testing.AllocsPerRun(500, func() {
		if src.Len() == 0 {
			src.Reset(msg)
			m.s.reset(src)
		}
		if _, err := m.read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("reading a request allocates %.1f times, want 0", allocs)
	}
}

func TestAllocs_ServeRun(t *testing.T) {
	h := newPipeHost()
	p := &peer{host: h}
	w := bufio.NewWriterSize(io.Discard, 256<<10)
	run := []pieces.Block{{Piece: 0, Begin: 0, Length: blockSize}, {Piece: 0, Begin: blockSize, Length: blockSize}}
	out := &sender{} // no direct conn: the bufio path
	allocs := testing.AllocsPerRun(200, func() {
		if err := p.serveRun(context.Background(), w, out, run); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("serving a run of 2 blocks allocates %.1f times, want 0", allocs)
	}
}

func TestAllocs_QueueRequests(t *testing.T) {
	h := newPipeHost()
	p := &peer{host: h, wake: make(chan struct{}, 1)}
	var run []pieces.Block
	allocs := testing.AllocsPerRun(200, func() {
		for i := range 8 {
			msg := message{Type: pp.Request, Index: 0, Begin: uint32(i%2) * blockSize, Length: blockSize}
			if err := p.handleRequest(msg); err != nil {
				t.Fatal(err)
			}
		}
		for len(p.serve) > 0 {
			run = takeRun(run[:0], &p.serve)
		}
	})
	if allocs != 0 {
		t.Errorf("queueing and taking 8 requests allocates %.1f times, want 0", allocs)
	}
}
