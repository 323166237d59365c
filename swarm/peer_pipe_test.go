package swarm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// pipeHost is a peerHost with two pieces of blockSize*2 bytes: piece 0 is
// verified and served from have, piece 1 is wanted.
type pipeHost struct {
	have                 []byte
	events               chan peerEvent
	stored               chan diskBlock
	down, up, wastedN    atomic.Int64
	readErr              error
	withheld, readsAsked atomic.Int64
}

const pipePiece = 2 * blockSize

func (h *pipeHost) deliver(ctx context.Context, ev peerEvent) bool {
	select {
	case h.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}
func (h *pipeHost) wanted(piece int) bool { return piece == 1 }
func (h *pipeHost) store(ctx context.Context, d diskBlock) bool {
	select {
	case h.stored <- d:
		return true
	case <-ctx.Done():
		putBlock(d.buf)
		return false
	}
}
func (h *pipeHost) servable(b pieces.Block) bool {
	return b.Piece == 0 && b.Begin+b.Length <= pipePiece
}
func (h *pipeHost) readForUpload(_ context.Context, _ *peer, buf []byte, first pieces.Block) (bool, error) {
	h.readsAsked.Add(1)
	if h.readErr != nil {
		return false, h.readErr
	}
	copy(buf, h.have[first.Begin:])
	return true, nil
}
func (h *pipeHost) waitDown(context.Context, int) error { return nil }
func (h *pipeHost) waitUp(context.Context, int) error   { return nil }
func (h *pipeHost) count(down, up, wasted int) {
	h.down.Add(int64(down))
	h.up.Add(int64(up))
	h.wastedN.Add(int64(wasted))
}

// pipePeer runs a peer's reader and writer over one end of a net.Pipe,
// with no torrent behind them, and returns the other end.
func pipePeer(t *testing.T, h *pipeHost) (*peer, net.Conn) {
	return pipePeerWith(t, h, func(c net.Conn) io.ReadWriter { return c })
}

// pipePeerWith is pipePeer with the peer's conn made by wrap from the raw
// one, as an MSE layer would be.
func pipePeerWith(t *testing.T, h *pipeHost, wrap func(net.Conn) io.ReadWriter) (*peer, net.Conn) {
	local, remote := net.Pipe()
	nc := &newConn{conn: wrap(local), raw: local, addr: netip.MustParseAddrPort("10.0.0.2:6881")}
	p := &peer{host: h, id: 1, nc: nc, fast: true, reqOut: map[pieces.Block]time.Time{},
		wake: make(chan struct{}, 1), closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.readLoop(ctx) })
	wg.Go(func() { p.writeLoop(ctx) })
	t.Cleanup(func() {
		cancel()
		p.close()
		remote.Close()
		wg.Wait()
	})
	return p, remote
}

func newPipeHost() *pipeHost {
	h := &pipeHost{have: make([]byte, pipePiece), events: make(chan peerEvent, 16), stored: make(chan diskBlock, 16)}
	for i := range h.have {
		h.have[i] = byte(rand.Uint32())
	}
	return h
}

func readMsg(t *testing.T, c net.Conn) message {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := newMsgReader(c).read()
	if err != nil {
		t.Fatalf("read from the peer: %v", err)
	}
	return m
}

func nextEvent(t *testing.T, h *pipeHost) peerEvent {
	t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event from the reader")
	}
	return peerEvent{}
}

func TestPeerPipe_ServesRequestsWhenUnchoked(t *testing.T) {
	h := newPipeHost()
	p, remote := pipePeer(t, h)
	p.amChoking.Store(false)
	go remote.Write(appendRequest(nil, pp.Request, 0, blockSize, blockSize))
	m := readMsg(t, remote)
	if m.Type != pp.Piece || m.Index != 0 || m.Begin != blockSize {
		t.Fatalf("got %v %d/%d, want the piece 0 block at %d", m.Type, m.Index, m.Begin, blockSize)
	}
	if got := (*m.Block)[:m.Length]; !bytes.Equal(got, h.have[blockSize:2*blockSize]) {
		t.Fatal("served bytes differ from the host's")
	}
	if h.up.Load() != blockSize {
		t.Errorf("counted %d bytes up, want %d", h.up.Load(), blockSize)
	}
}

func TestPeerPipe_RejectsWhileChokedOrUnservable(t *testing.T) {
	h := newPipeHost()
	p, remote := pipePeer(t, h)
	p.amChoking.Store(true)
	go remote.Write(appendRequest(nil, pp.Request, 0, 0, blockSize))
	if m := readMsg(t, remote); m.Type != pp.Reject || m.Index != 0 || m.Begin != 0 {
		t.Fatalf("choked: got %v %d/%d, want a reject", m.Type, m.Index, m.Begin)
	}
	p.amChoking.Store(false)
	go remote.Write(appendRequest(nil, pp.Request, 1, 0, blockSize)) // a piece we lack
	if m := readMsg(t, remote); m.Type != pp.Reject || m.Index != 1 {
		t.Fatalf("lacking: got %v %d, want a reject", m.Type, m.Index)
	}
	if n := h.readsAsked.Load(); n != 0 {
		t.Errorf("%d reads for upload of refused requests", n)
	}
}

func TestPeerPipe_StoresRequestedBlocks(t *testing.T) {
	h := newPipeHost()
	p, remote := pipePeer(t, h)
	b := pieces.Block{Piece: 1, Begin: blockSize, Length: blockSize}
	p.mu.Lock()
	p.reqOut[b] = time.Now()
	p.mu.Unlock()
	data := bytes.Repeat([]byte{0xab}, blockSize)
	msg := append(appendPieceHeader(nil, 1, blockSize, blockSize), data...)
	go remote.Write(msg)
	select {
	case d := <-h.stored:
		if d.b != b || !bytes.Equal((*d.buf)[:d.b.Length], data) || d.p != p {
			t.Fatalf("stored %+v, want %+v with the sent bytes", d.b, b)
		}
		putBlock(d.buf)
	case <-time.After(10 * time.Second):
		t.Fatal("the block never reached the host")
	}
	if h.down.Load() != blockSize || p.downloaded.Load() != blockSize {
		t.Errorf("counted %d (host) and %d (peer) down, want %d", h.down.Load(), p.downloaded.Load(), blockSize)
	}
	// Other messages go to the torrent's goroutine as events.
	go remote.Write(appendIndex(nil, pp.Have, 1))
	if ev := nextEvent(t, h); ev.p != p || ev.msg.Type != pp.Have || ev.msg.Index != 1 {
		t.Fatalf("event %+v, want have 1", ev.msg)
	}
}

func TestPeerPipe_UnaskedBlockIsAViolation(t *testing.T) {
	h := newPipeHost()
	_, remote := pipePeer(t, h)
	go remote.Write(append(appendPieceHeader(nil, 1, 0, blockSize), make([]byte, blockSize)...))
	ev := nextEvent(t, h)
	var pe *protoError
	if !errors.As(ev.err, &pe) {
		t.Fatalf("event err %v, want a protocol violation", ev.err)
	}
	if h.wastedN.Load() != blockSize || len(h.stored) != 0 {
		t.Errorf("wasted %d, stored %d: an unasked block must be thrown away", h.wastedN.Load(), len(h.stored))
	}
}

func TestPeerPipe_ReadErrorEndsTheConnection(t *testing.T) {
	h := newPipeHost()
	h.readErr = errors.New("disk gone")
	p, remote := pipePeer(t, h)
	p.amChoking.Store(false)
	go remote.Write(appendRequest(nil, pp.Request, 0, 0, blockSize))
	select {
	case <-p.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer went on after a failed read")
	}
}
