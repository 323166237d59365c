package swarm

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// newConn is a connection past the handshake, handed to a torrent.
type newConn struct {
	conn      io.ReadWriter // raw or MSE-wrapped
	raw       net.Conn
	addr      netip.AddrPort
	incoming  bool
	source    Source
	reserved  [8]byte
	peerID    [20]byte
	encrypted bool
	// v2: the peer takes BEP 52 hash messages on this connection
	// (torrent.v2Conn).
	v2 bool
	// handshakeRTT is how long our plaintext handshake took to be
	// answered, on a connection we dialled; 0 when not timed.
	handshakeRTT time.Duration
}

// peerHost is what a peer's reader and writer goroutines call up to; they
// touch nothing else of the torrent (as syncthing's protocol calls its
// Model), so they run over a net.Pipe in tests with a fake host. The
// torrent implements it in peer_host.go.
type peerHost interface {
	// deliver hands ev to the torrent's goroutine; false once ctx ended.
	deliver(ctx context.Context, ev peerEvent) bool
	// wanted says a block of piece is still worth writing: the content
	// is known and the piece not yet verified.
	wanted(piece int) bool
	// store queues a received block for the disk; false once ctx ended
	// (the block then went back to the pool).
	store(ctx context.Context, d diskBlock) bool
	// servable says b is a block we may send: of a verified piece, and
	// inside it.
	servable(b pieces.Block) bool
	// readForUpload fills buf with the verified bytes of the blocks from
	// first on. ok false means withhold them (the piece was withdrawn, or
	// its file changed); an error ends the connection.
	readForUpload(ctx context.Context, p *peer, buf []byte, first pieces.Block) (ok bool, err error)
	// waitDown and waitUp wait for the session's rate limits.
	waitDown(ctx context.Context, n int) error
	waitUp(ctx context.Context, n int) error
	// count adds payload bytes received, sent and thrown away to the
	// torrent's totals.
	count(down, up, wasted int)
}

// peer is one connection. The actor owns the plain fields; the reader and
// writer goroutines share only what is marked.
type peer struct {
	host peerHost
	id   pieces.Peer
	nc   *newConn

	// actor-owned
	fast, ext      bool
	amInterested   bool
	peerInterested bool
	peerChoking    bool
	extIDs         map[pp.ExtensionName]uint8
	metadataSize   int
	client         string
	haveCount      int
	hasAll         bool
	downRate       meter
	upRate         meter
	lastBlock      time.Time
	unchokedAt     time.Time // it unchoked us
	servedSince    time.Time // we unchoked it last; zero: never (the choker's history)
	interestedAt   time.Time // it last said it is interested
	connectedAt    time.Time
	queueTarget    int
	depth          int // the last queueDepth asked of it
	earned         int // the depth its address had reached before this connection
	reqq           int // the requests it says it queues (extended handshake); 0 if unsaid
	listenPort     int
	metaAsked      map[int]time.Time
	pexSent        map[netip.AddrPort]bool
	lastPEX        time.Time
	pendingBF      []byte // bitfield received before the metadata
	pendingHave    []int

	// shared with the reader and writer
	amChoking  atomic.Bool // written by the loop only
	dead       atomic.Bool // removed by the actor: its blocks are no longer expected
	downloaded atomic.Int64
	uploaded   atomic.Int64
	mu         sync.Mutex
	reqOut     map[pieces.Block]time.Time // our requests pending, and when we asked; the reader drops blocks not in it
	ramp       slowStart                  // the reader's, from the blocks' round trips
	// excused are blocks the peer may still send without our asking:
	// requests we cancelled or dropped on a choke. Any other unrequested
	// block is a violation.
	excused map[pieces.Block]struct{}
	ctl     []byte         // encoded control messages for the writer
	serve   []pieces.Block // their requests to serve
	// superOK, while we super-seed (superseed.go), are the pieces offered
	// to it: it may request only those. Empty: any. superAsked: those it
	// asked for.
	superOK, superAsked pieces.Bitfield
	wake                chan struct{}
	closed              chan struct{}
	closeOnce           sync.Once
}

// excuse records that b may arrive unrequested; p.mu is held.
func (p *peer) excuse(b pieces.Block) {
	if p.excused == nil || len(p.excused) >= 4096 {
		// Most cancelled blocks never come; forget old ones rather than grow.
		p.excused = make(map[pieces.Block]struct{})
	}
	p.excused[b] = struct{}{}
}

func (p *peer) close() {
	p.closeOnce.Do(func() {
		close(p.closed)
		p.nc.raw.Close()
	})
}

func (p *peer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// send queues encoded control messages: enc appends to the buffer.
func (p *peer) send(enc func([]byte) []byte) {
	p.mu.Lock()
	p.ctl = enc(p.ctl)
	p.mu.Unlock()
	p.signal()
}

var errKeepaliveFlood = errors.New("keep-alive flood")

// peerEvent is what a reader tells the actor.
type peerEvent struct {
	p       *peer
	msg     message        // Payload copied
	blocks  []pieces.Block // with diskErr: blocks that could not be written
	notes   []blockNote    // blocks on disk, from the disk goroutine
	err     error          // set when the connection ended
	diskErr error
}

// readLoop reads messages until the connection fails. Piece payloads are
// handed to the disk goroutines from here, off the actor.
func (p *peer) readLoop(ctx context.Context) {
	h := p.host
	mr := newMsgReader(p.nc.conn)
	defer mr.s.release()
	emit := func(ev peerEvent) bool { return h.deliver(ctx, ev) }
	fail := func(err error) { emit(peerEvent{p: p, err: err}) }
	var kaStreak int
	var kaSince time.Time
	var deadline staleDeadline
	setDeadline := p.nc.raw.SetReadDeadline
	for {
		deadline.extend(setDeadline, readTimeout)
		msg, err := mr.read()
		if err != nil {
			fail(err)
			return
		}
		if msg.Keepalive {
			// One every two minutes is the custom; a stream of them only
			// burns our CPU.
			if kaStreak == 0 {
				kaSince = time.Now()
			}
			if kaStreak++; kaStreak > 100 && time.Since(kaSince) < time.Minute {
				fail(errKeepaliveFlood)
				return
			}
			continue
		}
		kaStreak = 0
		switch msg.Type {
		case pp.Piece:
			b := pieces.Block{Piece: int(msg.Index), Begin: int(msg.Begin), Length: int(msg.Length)}
			data := (*msg.Block)[:msg.Length]
			p.mu.Lock()
			// A block both asked and excused (cancelled, then asked again
			// after its piece failed) may come twice: the first copy
			// answers the request, the second uses the excuse.
			askedAt, asked := p.reqOut[b]
			excused := false
			if asked {
				p.ramp.observe(askedAt, time.Now())
				delete(p.reqOut, b)
			} else if _, excused = p.excused[b]; excused {
				delete(p.excused, b)
			}
			p.mu.Unlock()
			if !asked || !h.wanted(b.Piece) {
				putBlock(msg.Block)
				h.count(0, 0, len(data))
				if !asked && !excused {
					fail(violation("sent a block we never asked for (piece %d at %d)", b.Piece, b.Begin))
					return
				}
				continue
			}
			if err := h.waitDown(ctx, len(data)); err != nil {
				putBlock(msg.Block)
				return
			}
			p.downloaded.Add(int64(len(data)))
			h.count(len(data), 0, 0)
			if !h.store(ctx, diskBlock{p: p, b: b, buf: msg.Block}) {
				return
			}
			continue
		case pp.Request:
			if err := p.handleRequest(msg); err != nil {
				fail(err)
				return
			}
			continue
		case pp.Cancel:
			b := pieces.Block{Piece: int(msg.Index), Begin: int(msg.Begin), Length: int(msg.Length)}
			p.mu.Lock()
			if k := slices.Index(p.serve, b); k >= 0 {
				p.serve = slices.Delete(p.serve, k, k+1)
			}
			p.mu.Unlock()
			continue
		}
		if msg.Keepalive {
			continue
		}
		msg.Payload = slices.Clone(msg.Payload)
		if !emit(peerEvent{p: p, msg: msg}) {
			return
		}
	}
}

// maxCtlBacklog bounds the control messages queued for one peer. Each
// request we reject queues 17 bytes; a peer that floods requests and never
// reads the rejects would otherwise grow the queue as fast as it can send.
const maxCtlBacklog = 1 << 20

var errRequestFlood = errors.New("floods requests without reading our answers")

// handleRequest queues a block to serve, or rejects it (fast extension)
// when we choke the peer or lack the piece.
func (p *peer) handleRequest(msg message) error {
	b := pieces.Block{Piece: int(msg.Index), Begin: int(msg.Begin), Length: int(msg.Length)}
	ok := !p.amChoking.Load() && b.Length > 0 && b.Length <= blockSize && p.host.servable(b)
	p.mu.Lock()
	if p.superOK.Len() > 0 {
		if !p.superOK.Has(b.Piece) {
			ok = false // not offered to it: a super-seed serves nothing else
		} else {
			p.superAsked.Set(b.Piece)
		}
	}
	backlog := len(p.ctl)
	if ok && len(p.serve) < maxQueue {
		p.serve = append(p.serve, b)
	} else if p.fast && backlog < maxCtlBacklog {
		p.ctl = appendRequest(p.ctl, pp.Reject, msg.Index, msg.Begin, msg.Length)
	}
	p.mu.Unlock()
	p.signal()
	if backlog >= maxCtlBacklog {
		return errRequestFlood
	}
	return nil
}

// writeLoop sends queued control messages and serves requested blocks,
// flushing when there is nothing more to send.
func (p *peer) writeLoop(ctx context.Context) {
	defer p.close()
	w := bufio.NewWriterSize(p.nc.conn, 256<<10)
	var ctl []byte
	var run []pieces.Block
	var out sender
	if io.ReadWriter(p.nc.raw) == p.nc.conn {
		out.direct = p.nc.raw // no MSE layer: blocks go out with writev (peer_send.go)
	}
	var deadline staleDeadline
	setDeadline := p.nc.raw.SetWriteDeadline
	keepalive := time.NewTicker(90 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-p.closed:
			return
		case <-ctx.Done():
			return
		case <-keepalive.C:
			p.send(func(b []byte) []byte { return append(b, 0, 0, 0, 0) })
			continue
		case <-p.wake:
		}
		deadline.extend(setDeadline, writeTimeout)
		for {
			p.mu.Lock()
			ctl, p.ctl = p.ctl, ctl[:0]
			run = takeRun(run[:0], &p.serve)
			p.mu.Unlock()
			if len(ctl) == 0 && len(run) == 0 {
				break
			}
			if _, err := w.Write(ctl); err != nil {
				return
			}
			if len(run) > 0 {
				if err := p.serveRun(ctx, w, &out, run); err != nil {
					return
				}
			}
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

const maxServeRun = 256 << 10

// writeTimeout: a write that takes longer hangs up on the peer;
// readTimeout: so does a peer silent for longer (clients send keep-alives
// every 2 minutes at most; ours go every 90 s).
const (
	writeTimeout = 2 * time.Minute
	readTimeout  = 3 * time.Minute
)

// staleDeadline is a connection's read or write deadline, moved only once
// it is deadlineSlack stale: moving it is a timer change in the runtime,
// and the reader set one for every block (1% of a fast download's CPU),
// the writer for every wake, every few messages. An operation then gets
// between its timeout less deadlineSlack and its timeout. Each belongs to
// the one goroutine that reads, or writes.
type staleDeadline struct{ at time.Time }

const deadlineSlack = 10 * time.Second

func (d *staleDeadline) extend(set func(time.Time) error, timeout time.Duration) {
	if now := time.Now(); d.at.Sub(now) < timeout-deadlineSlack {
		d.at = now.Add(timeout)
		set(d.at)
	}
}

var runPool = sync.Pool{New: func() any { b := make([]byte, maxServeRun); return &b }}

// takeRun moves the longest run of contiguous requests of one piece (at
// most maxServeRun bytes) from the head of q to run: one pread serves them.
func takeRun(run []pieces.Block, q *[]pieces.Block) []pieces.Block {
	n, size := 0, 0
	for n < len(*q) {
		b := (*q)[n]
		if n > 0 {
			prev := (*q)[n-1]
			if b.Piece != prev.Piece || b.Begin != prev.Begin+prev.Length {
				break
			}
		}
		if size+b.Length > maxServeRun {
			break
		}
		size += b.Length
		n++
	}
	run = append(run, (*q)[:n]...)
	// Move the rest to the front rather than reslice: a queue eaten from
	// its front and appended to at its back reallocated every few hundred
	// requests, garbage that piled up in a seed with many peers.
	*q = append((*q)[:0], (*q)[n:]...)
	return run
}

func (p *peer) serveRun(ctx context.Context, w *bufio.Writer, out *sender, run []pieces.Block) error {
	if p.amChoking.Load() {
		return nil
	}
	buf := runPool.Get().(*[]byte)
	defer runPool.Put(buf)
	first, last := run[0], run[len(run)-1]
	data := (*buf)[:last.Begin+last.Length-first.Begin]
	ok, err := p.host.readForUpload(ctx, p, data, first)
	if err != nil {
		return err
	}
	if !ok {
		p.withhold(w, run)
		return nil
	}
	if out.direct != nil && len(run) <= maxDirectBlocks {
		return p.sendRun(ctx, w, out, run, data)
	}
	for _, b := range run {
		if err := p.host.waitUp(ctx, b.Length); err != nil {
			return err
		}
		// Into the writer's buffer: a header on the stack escaped through
		// Write, an allocation per block.
		w.Write(appendPieceHeader(w.AvailableBuffer(), uint32(b.Piece), uint32(b.Begin), b.Length))
		off := b.Begin - first.Begin
		if _, err := w.Write(data[off : off+b.Length]); err != nil {
			return err
		}
		p.uploaded.Add(int64(b.Length))
		p.host.count(0, b.Length, 0)
	}
	return nil
}

// withhold answers requests we will not serve: a reject for peers with the
// fast extension; others get nothing, as for a request made while choked.
func (p *peer) withhold(w *bufio.Writer, run []pieces.Block) {
	if !p.fast {
		return
	}
	var msg [17]byte
	for _, b := range run {
		w.Write(appendRequest(msg[:0], pp.Reject, uint32(b.Piece), uint32(b.Begin), uint32(b.Length)))
	}
}

func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// clientName decodes Azureus-style peer ids ("-SH0010-...").
func clientName(id [20]byte) string {
	if id[0] == '-' && id[7] == '-' {
		return string(id[1:7])
	}
	return ""
}
