package swarm

import (
	"errors"
	"fmt"
	"sync/atomic"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// Streaming: Readers (reader.go) tell the torrent's goroutine which pieces
// they wait for; the loop turns the union of their windows into picker
// deadlines, and wakes them when a piece is verified.

// ErrSkipped: a Reader read a part of the torrent whose pieces are not
// wanted (every file they touch is skipped) and are not held.
var ErrSkipped = errors.New("swarm: the file is skipped: set its priority to read it")

// ErrNoMetadata: the torrent's info (a magnet's) has not arrived yet.
var ErrNoMetadata = errors.New("swarm: metadata not yet received")

// streams is the torrent's side of its Readers. wants and set are the
// loop's; sig is closed by the loop and waited on by Readers.
type streams struct {
	wants map[int64]streamWant // by Reader id
	set   []int                // pieces whose deadline the loop last set
	// sequential: download in order (AddOptions.Sequential, then
	// SetSequential); the loop's.
	sequential bool
	// sig is closed, and reset to nil, each time a piece is verified: a
	// Reader takes it (creating one if nil) before it looks at the bits,
	// so a piece verified after the look closes the channel it holds.
	sig atomic.Pointer[chan struct{}]
}

// streamWant is a Reader's window: the piece under its offset (first)
// and the readahead after it, up to last (inclusive).
type streamWant struct{ first, last int }

// verified wakes the Readers waiting for a piece; after setHave.
func (st *streams) verified() {
	if old := st.sig.Swap(nil); old != nil {
		close(*old)
	}
}

// waitC returns a channel closed at the next verified piece.
func (st *streams) waitC() <-chan struct{} {
	for {
		if ch := st.sig.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if st.sig.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// setStream records (or, when !on, forgets) reader id's window and
// re-ranks the deadlines. On the loop.
func (t *torrent) setStream(id int64, w streamWant, on bool) error {
	if !on {
		if _, ok := t.streams.wants[id]; !ok {
			return nil
		}
		delete(t.streams.wants, id)
		t.applyDeadlines()
		return nil
	}
	c := t.data.Load()
	if c == nil || t.picker == nil {
		return ErrNoMetadata
	}
	if n := c.info.NumPieces(); w.first < 0 || w.last >= n || w.first > w.last {
		return fmt.Errorf("swarm: stream window [%d,%d] outside pieces [0,%d)", w.first, w.last, n)
	}
	if !c.has(w.first) && t.picker.Priority(w.first) < 0 {
		return ErrSkipped
	}
	if t.streams.wants == nil {
		t.streams.wants = make(map[int64]streamWant)
	}
	if t.streams.wants[id] == w {
		return nil
	}
	t.streams.wants[id] = w
	t.applyDeadlines()
	if !c.has(w.first) && !t.picker.InFlight(w.first) {
		t.makeRoom()
	}
	t.fillRequests()
	return nil
}

// makeRoom withdraws the requests of every peer for pieces no Reader
// waits for, when a Reader seeks to a piece nobody was asked for: else
// its blocks would queue behind up to a second of others at each peer
// (a seek 3 s into a download at 20 MiB/s waited 2.9 s for its first
// byte). fillRequests then asks for the Readers' pieces first and the
// others after them. A withdrawn block that still arrives is used (the
// peer's excused set).
func (t *torrent) makeRoom() {
	for _, p := range t.peers {
		pr := pieces.Peer(p.id)
		p.mu.Lock()
		n := 0
		for b := range p.reqOut {
			if t.picker.Deadline(b.Piece) >= 0 || !t.picker.Requested(pr, b) {
				continue
			}
			t.picker.HandleReject(pr, b)
			delete(p.reqOut, b)
			p.excuse(b)
			p.ctl = appendRequest(p.ctl, pp.Cancel, uint32(b.Piece), uint32(b.Begin), uint32(b.Length))
			n++
		}
		p.mu.Unlock()
		if n > 0 {
			p.signal()
		}
	}
}

// applyDeadlines gives each piece in some Reader's window the deadline of
// its distance from that Reader's offset (the nearest, with several), and
// clears the deadlines of pieces no window holds any more.
func (t *torrent) applyDeadlines() {
	if t.picker == nil {
		return
	}
	rank := make(map[int]int)
	for _, w := range t.streams.wants {
		for i := w.first; i <= w.last; i++ {
			if r, ok := rank[i]; !ok || i-w.first < r {
				rank[i] = i - w.first
			}
		}
	}
	for _, i := range t.streams.set {
		if _, ok := rank[i]; !ok {
			t.picker.SetDeadline(pieces.Index(i), -1)
		}
	}
	t.streams.set = t.streams.set[:0]
	for i, r := range rank {
		t.picker.SetDeadline(pieces.Index(i), r)
		t.streams.set = append(t.streams.set, i)
	}
}

// Readers counts the Readers with a window on the torrent, for tests and
// the snapshot's readers.
func (t *torrent) readers() int { return len(t.streams.wants) }

// sequentialWindow is the window of SetSequential for a torrent with
// pieces of pieceLen bytes: 16 MiB of pieces, from 8 to 64 of them, so
// the window holds about a second of a fast download, and enough pieces
// for rarest-first to spread among peers whatever the piece size.
func sequentialWindow(pieceLen int64) int {
	return min(64, max(8, int((16<<20)/pieceLen)))
}

// Readers is the number of Readers of torrent ih that have a window (read
// since they were made, and not closed).
func (s *Session) Readers(ih InfoHash) (int, error) {
	t, err := s.torrent(ih)
	if err != nil {
		return 0, err
	}
	n := 0
	err = t.do(func(t *torrent) error { n = t.readers(); return nil })
	return n, err
}
