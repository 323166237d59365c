package swarm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// chokeWatcher is a raw leecher of a seed that asks for blocks, one at a
// time with a pause after each (slow) or 32 at a time (fast), and notes
// when the seed unchokes it and what it received.
type chokeWatcher struct {
	p         *rawPeer
	pause     time.Duration
	depth     int
	unchokes  atomic.Int32
	chokes    atomic.Int32
	unchoked  chan struct{} // closed at the first unchoke
	blocks    atomic.Int64
	badBlocks atomic.Int64
}

func watchChokes(t *testing.T, wg *sync.WaitGroup, addr string, ih swarm.InfoHash, p *rawPeer, id string, pause time.Duration, depth int) *chokeWatcher {
	t.Helper()
	c := rawHandshake(t, addr, ih, 0, id)
	c.SetDeadline(time.Time{})
	p.c, p.r = c, bufio.NewReader(c)
	var hs [68]byte
	if _, err := p.r.Read(hs[:1]); err != nil {
		t.Fatalf("no handshake from the seed: %v", err)
	}
	if _, err := p.r.Discard(67); err != nil {
		t.Fatal(err)
	}
	w := &chokeWatcher{p: p, pause: pause, depth: depth, unchoked: make(chan struct{})}
	wg.Go(w.run)
	return w
}

func (w *chokeWatcher) interested() error { return w.p.send(pp.Interested, nil) }

// run reads until the connection closes; the test's cleanup closes it.
func (w *chokeWatcher) run() {
	blockLen := uint32(16 << 10)
	pieces := uint32(w.p.tor.Info.NumPieces() - 1) // whole pieces only
	next := uint32(0)
	request := func() error {
		i := next % pieces
		next++
		b := binary.BigEndian.AppendUint32(nil, i)
		b = binary.BigEndian.AppendUint32(b, 0)
		return w.p.send(pp.Request, binary.BigEndian.AppendUint32(b, blockLen))
	}
	for {
		typ, b, err := w.p.read()
		if err != nil {
			return
		}
		switch typ {
		case int(pp.Choke):
			w.chokes.Add(1)
		case int(pp.Unchoke):
			if w.unchokes.Add(1) == 1 {
				close(w.unchoked)
			}
			for range w.depth {
				if request() != nil {
					return
				}
			}
		case int(pp.Piece):
			i, begin := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
			if !bytes.Equal(b[8:], w.p.piece(i, begin, uint32(len(b)-8))[8:]) {
				w.badBlocks.Add(1)
			}
			w.blocks.Add(1)
			time.Sleep(w.pause)
			if request() != nil {
				return
			}
		}
	}
}

// The starved seed: its upload slots are held by slow leechers,
// ranked by what they take, and a fast leecher that joins later has no
// rate to be ranked by. It used to wait for the optimistic unchoke, every
// 30 s, and only when the draw picked it; now it gets a trial within
// seconds, and keeps a slot once its trial shows it outruns them.
// Asserted on the choke and unchoke messages, never on a rate.
func TestChoke_LateFastLeecherIsUnchokedSoon(t *testing.T) {
	t.Parallel()
	src, root, data := onePayload(t, 61, "c.bin", 4<<20)
	tor := testnet.Create(t, root, 16<<10)
	began := time.Now()
	s, ih := seed(t, src, tor, swarm.Config{UploadSlots: 2})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding
	})
	addr := s.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the connections close (cleanups run last first)
	var slow []*chokeWatcher
	for i := range 6 {
		w := watchChokes(t, &wg, addr, ih, &rawPeer{tor: tor, data: data}, "-XX0001-slowleech"+string(rune('a'+i)), 200*time.Millisecond, 1)
		if err := w.interested(); err != nil {
			t.Fatal(err)
		}
		slow = append(slow, w)
	}
	for _, w := range slow[:2] {
		select {
		case <-w.unchoked:
		case <-time.After(30 * time.Second):
			t.Fatal("a slow leecher was not unchoked within 30 s while slots were free")
		}
	}
	// Join once the seed has ranked its peers (every 10 s), so that every
	// slot, the optimistic one too, is settled.
	time.Sleep(time.Until(began.Add(12 * time.Second)))
	fast := watchChokes(t, &wg, addr, ih, &rawPeer{tor: tor, data: data}, "-XX0001-fastleecher0", 0, 32)
	asked := time.Now()
	if err := fast.interested(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fast.unchoked:
		t.Logf("the fast leecher was unchoked %v after saying it is interested", time.Since(asked).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		var times []int32
		for _, w := range slow {
			times = append(times, w.unchokes.Load())
		}
		t.Fatalf("the fast leecher was not unchoked within 10 s (the slow ones were unchoked %v times)", times)
	}
	unchokedAt := time.Now()
	// It is served what it asks for, byte for byte.
	for deadline := time.Now().Add(30 * time.Second); fast.blocks.Load() < 32; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the fast leecher got %d blocks in 30 s after its unchoke, want 32", fast.blocks.Load())
		}
	}
	// Its trial shows it takes data faster than the slow holders: it
	// keeps a slot past the trial and the next ranking.
	time.Sleep(time.Until(unchokedAt.Add(14 * time.Second)))
	if n := fast.chokes.Load(); n != 0 {
		t.Errorf("the fast leecher was choked %d times in the 14 s after its unchoke", n)
	}
	for _, w := range append(slow, fast) {
		if n := w.badBlocks.Load(); n != 0 {
			t.Errorf("%d blocks differ from the payload", n)
		}
	}
}

// A seed unchokes a newcomer with its bitfield while a slot is free, a
// round trip before the newcomer could say Interested (at 100 ms RTT,
// 100 ms before its first request could go out). One that never says it
// is choked again at the next rechoke, so the slot is not held for
// nothing.
func TestChoke_SeedUnchokesANewcomerAtOnce(t *testing.T) {
	t.Parallel()
	src, root, data := onePayload(t, 62, "u.bin", 1<<20)
	tor := testnet.Create(t, root, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{UploadSlots: 1})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding
	})
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	w := watchChokes(t, &wg, s.Addr().String(), ih, &rawPeer{tor: tor, data: data}, "-XX0001-newcomer0001", 0, 0)
	select {
	case <-w.unchoked:
	case <-time.After(10 * time.Second):
		t.Fatal("the seed did not unchoke a newcomer before it said Interested, with its upload slot free")
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.chokes.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a newcomer that never said Interested kept its unchoke for 10 s, past the 2 s rechoke")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
