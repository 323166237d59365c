package swarm_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// Many slow seeds: how much more than the payload does a leecher receive?
// The excess is endgame duplicates (a block asked of two peers, both
// serve it), blocks already on the wire when a cancel goes out, and
// requests released from snubbed peers and asked again elsewhere.

// slowSeed serves requests one at a time, each after perBlock; with
// honourCancel it drops queued requests the leecher cancels (as real
// clients do), without it it serves every request it read (as the seeds
// of cmd/shoal's TestMemory_LeecherWith200Peers do).
func slowSeed(perBlock time.Duration, honourCancel bool, served *atomic.Int64) func(p *rawPeer) error {
	return func(p *rawPeer) error {
		if err := wantsAll(p); err != nil {
			return err
		}
		type req struct{ i, begin, length uint32 }
		var mu sync.Mutex
		var queue []req
		wake := make(chan struct{}, 1)
		gone := make(chan struct{})
		var readErr error
		go func() {
			for {
				typ, b, err := p.read()
				if err != nil {
					readErr = err
					close(gone)
					return
				}
				if len(b) < 12 {
					continue
				}
				r := req{binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])}
				mu.Lock()
				switch {
				case typ == int(pp.Request):
					queue = append(queue, r)
				case typ == int(pp.Cancel) && honourCancel:
					for k, q := range queue {
						if q == r {
							queue = append(queue[:k], queue[k+1:]...)
							break
						}
					}
				}
				mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}()
		for {
			mu.Lock()
			var r req
			ok := len(queue) > 0
			if ok {
				r, queue = queue[0], queue[1:]
			}
			mu.Unlock()
			if !ok {
				select {
				case <-wake:
					continue
				case <-gone:
					return readErr
				}
			}
			select {
			case <-time.After(perBlock):
			case <-gone:
				return readErr
			}
			if err := p.send(pp.Piece, p.piece(r.i, r.begin, r.length)); err != nil {
				return err
			}
			served.Add(int64(r.length))
		}
	}
}

type endgameRun struct {
	served, wasted int64
	took           time.Duration
}

func runManySlowSeeds(t *testing.T, nPeers, size int, perBlock time.Duration, honourCancel bool) endgameRun {
	t.Helper()
	_, root, data := onePayload(t, 50, "e.bin", size)
	tor := testnet.Create(t, root, 256<<10)
	var served atomic.Int64
	var peers []string
	for range nPeers {
		peers = append(peers, startHostile(t, tor, data, slowSeed(perBlock, honourCancel, &served)).addr)
	}
	l := testnet.StartSession(t, swarm.Config{MaxPeersPerTorrent: nPeers + 10})
	start := time.Now()
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: peers})
	ts := testnet.WaitComplete(t, l, swarm.InfoHash(tor.InfoHash), 120*time.Second)
	took := time.Since(start)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	return endgameRun{served: served.Load(), wasted: ts.Wasted, took: took}
}

// Before pacing and idle-only duplicates: 1.28x (cancels honoured) and
// 1.56x (ignored) of the payload received; after: about 1.12x and 1.20x,
// in the same time (1.5-1.65 s). The bounds sit between the two.
func TestEndgame_ManySlowSeedsSendLittleTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		honour  bool
		maxOver float64
	}{
		{name: "cancels honoured", honour: true, maxOver: 1.25}, // 1.12x typical, 1.21x once on a loaded CI machine
		{name: "cancels ignored", maxOver: 1.35},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const size = 16 << 20
			r := runManySlowSeeds(t, 100, size, 100*time.Millisecond, tc.honour)
			over := float64(r.served) / size
			t.Logf("%d MiB payload from 100 slow seeds: %.1f MiB served (%.2fx), %.1f MiB wasted, %v",
				size>>20, float64(r.served)/(1<<20), over, float64(r.wasted)/(1<<20), r.took.Round(10*time.Millisecond))
			if over >= tc.maxOver {
				t.Errorf("seeds sent %.2fx the payload, want under %.2fx", over, tc.maxOver)
			}
		})
	}
}

// The shape of cmd/shoal's TestMemory_LeecherWith200Peers (200 seeds at
// one block per 400 ms, 64 MiB): about 20 s, so only with
// SHOAL_ENDGAME_BIG=1. Before: 1.04x (honoured) and 1.17x (ignored);
// after: 1.02x and 1.02x, and 8.5 s rather than 9.3-9.7 s.
func TestEndgame_200SlowSeeds(t *testing.T) {
	if os.Getenv("SHOAL_ENDGAME_BIG") == "" {
		t.Skip("about 20 s; set SHOAL_ENDGAME_BIG=1")
	}
	for _, honour := range []bool{true, false} {
		const size = 64 << 20
		r := runManySlowSeeds(t, 200, size, 400*time.Millisecond, honour)
		over := float64(r.served) / size
		t.Logf("cancels honoured %v: %.1f MiB served (%.2fx), %.1f MiB wasted, %v",
			honour, float64(r.served)/(1<<20), over, float64(r.wasted)/(1<<20), r.took.Round(10*time.Millisecond))
		if over >= 1.1 {
			t.Errorf("seeds sent %.2fx the payload, want under 1.1x", over)
		}
	}
}

// The tail with one fast seed among 20 slow ones (400 ms/block), 8 MiB:
// before, 4.0 s (cancels honoured) and 6.4 s (ignored); after, 2.0 s and
// 3.2 s, the slow seeds sending 1.5 and 2.3 MiB rather than 2.8 and 5.0.
// Only with SHOAL_ENDGAME_BIG=1.
func TestEndgame_FastSeedAmongSlowOnes(t *testing.T) {
	if os.Getenv("SHOAL_ENDGAME_BIG") == "" {
		t.Skip("about 6 s; set SHOAL_ENDGAME_BIG=1")
	}
	for _, honour := range []bool{true, false} {
		const size = 8 << 20
		src, root, data := onePayload(t, 51, "m.bin", size)
		tor := testnet.Create(t, root, 256<<10)
		var served atomic.Int64
		var peers []string
		for range 20 {
			peers = append(peers, startHostile(t, tor, data, slowSeed(400*time.Millisecond, honour, &served)).addr)
		}
		fast, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 4 << 20})
		peers = append(peers, fast.Addr().String())
		l := testnet.StartSession(t, swarm.Config{})
		start := time.Now()
		dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: peers})
		ts := testnet.WaitComplete(t, l, ih, 60*time.Second)
		took := time.Since(start)
		testnet.SameTree(t, root, filepath.Join(dst, "payload"))
		var fastSent int64
		for _, pt := range ts.PeerTotals {
			if pt.Addr == fast.Addr().String() {
				fastSent = pt.Downloaded
			}
		}
		over := float64(served.Load()+fastSent) / size
		t.Logf("cancels honoured %v: %v; slow seeds sent %.1f MiB, the fast one %.1f MiB (%.2fx in all), %.1f MiB wasted",
			honour, took.Round(10*time.Millisecond), float64(served.Load())/(1<<20), float64(fastSent)/(1<<20), over, float64(ts.Wasted)/(1<<20))
		if over >= 1.3 {
			t.Errorf("seeds sent %.2fx the payload, want under 1.3x", over)
		}
	}
}
