package swarm

import (
	"context"
	"net/netip"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

type hashResult struct {
	piece    int
	ok       bool
	err      error
	readback bool
	digest   *pieces.PieceDigest // a piece that matched: its BLAKE3 part (nil without digests)
}

type foundPeers struct {
	addrs  []netip.AddrPort
	source Source
}

type knownPeer struct {
	source    Source
	connected bool
	dialing   bool
	fails     int
	nextTry   time.Time
}

// run is the torrent's goroutine, from Add until stop: it owns the
// torrent's state and serves commands, peer events and timers. Peers,
// sources and disk work begin with the start command (see start).
func (t *torrent) run() {
	ctx := t.ctx
	defer close(t.done)
	tick := time.NewTicker(t.s.cfg.SampleEvery)
	defer tick.Stop()
	rechoke := time.NewTicker(chokeTick)
	defer rechoke.Stop()
	slow := time.NewTicker(time.Second)
	defer slow.Stop()
	// A quiet torrent (see quiet) ticks less, on one timer: 10,000 idle
	// seeds woke 30,000 times a second for nothing, and 5,000 with three
	// slowed timers. Its tick does the housekeeping; with no peers there
	// is nothing to rechoke. Anything the loop handles brings the usual
	// pace back. The loop alone writes pub.drowsy, and keeps no copy of
	// it: tests and stampEvery read it.
	wake := func() {
		if t.pub.drowsy.Load() {
			t.pub.drowsy.Store(false)
			tick.Reset(t.s.cfg.SampleEvery)
			slow.Reset(time.Second)
			rechoke.Reset(chokeTick)
		}
	}
	for {
		// A worker's result first: a BLAKE3 pass that finished while the
		// loop synced the completion's record sets Verified before the
		// next tick publishes, not after a coin toss with it.
		select {
		case f := <-t.results:
			f()
			t.pub.stale = true
			wake()
			continue
		default:
		}
		timer := false // the timers alone leave a quiet torrent's snapshot as it was
		select {
		case <-ctx.Done():
			t.shutdown()
			return
		case f := <-t.cmds:
			f()
		case f := <-t.results:
			f()
		case ev := <-t.events:
			t.handleEvent(ev)
		case r := <-t.hashResults():
			t.handleHashed(r)
		case f := <-t.src.found:
			if t.private() && f.source != SourceTracker && f.source != SourceManual {
				break // BEP 27: a private torrent's peers come from its trackers
			}
			for _, a := range f.addrs {
				t.addKnown(a, f.source)
			}
			t.dial()
		case u := <-t.src.trackRes:
			t.handleTrackerUpdate(u)
		case <-tick.C:
			timer = true
			t.pub.ticks.Add(1)
			t.sampleRates()
			t.publishTick()
			if t.pub.drowsy.Load() {
				t.housekeeping()
			} else if t.pub.quietTicks >= quietBeforeDrowsy {
				t.pub.drowsy.Store(true)
				if c := t.data.Load(); c != nil {
					c.storage.CloseIdle() // as housekeeping would, now rather than in a second
					c.stamps.spread()
				}
				tick.Reset(quietTickEvery(t.s.cfg.SampleEvery))
				slow.Stop()
				rechoke.Stop()
			}
			// Each tick while pieces complete (saves never overlap): a
			// kill -9 then costs at most the pieces verified since, plus
			// those in flight.
			t.saveResumeAsync()
		case <-rechoke.C:
			timer = true
			t.rechoke()
		case <-slow.C:
			timer = true
			t.housekeeping()
		case <-t.havesC():
			timer = true
			t.flushHaves()
		}
		if !timer {
			t.pub.stale = true
			wake()
		} else {
			t.pub.timerWakes.Add(1)
		}
	}
}

// hashResults is where the hashing pool and the disk goroutines answer;
// nil (never ready) until the content is known.
func (t *torrent) hashResults() chan hashResult {
	if c := t.data.Load(); c != nil {
		return c.hashed
	}
	return nil
}

// spawn starts a worker unless the torrent is stopping: a result applied
// while shutdown waits for the last workers must not start new ones.
func (t *torrent) spawn(f func()) {
	if t.ctx.Err() != nil {
		return
	}
	t.wg.Go(f)
}

// start begins the torrent's work once the session runs: disk and hashing
// goroutines, peer sources, dialling. Later calls do nothing.
func (t *torrent) start() {
	if t.running {
		return
	}
	t.running = true
	if c := t.data.Load(); c != nil {
		t.startDisk(t.ctx, c)
	}
	t.startSources(t.ctx)
	t.dial()
}

// shutdown runs when the torrent's context ends: close peers, announce
// stopped (bounded), save resume state, wait for every goroutine.
func (t *torrent) shutdown() {
	t.running = false // results applied from here on start nothing
	for _, p := range t.peers {
		p.close()
	}
	// Drain events so readers blocked on send can exit (they also watch ctx).
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			t.web.close()
			if c := t.data.Load(); c != nil {
				if c.res.dirty || !c.res.current {
					c.saveResume(false) // the writers are gone: the stamps are final
				}
				c.close()
			}
			t.publishSnapshot()
			return
		case f := <-t.results:
			f() // a worker's last word, e.g. a BLAKE3 pass that finished
		case <-t.events: // blocks were returned to the pool by their senders
		case <-t.hashResults():
		case <-t.src.trackRes:
		case <-t.src.found:
		}
	}
}

// handoff passes an established connection to the torrent's goroutine.
func (t *torrent) handoff(ctx context.Context, nc *newConn) {
	select {
	case t.cmds <- func() { t.addPeer(t.ctx, nc) }:
	case <-t.done:
		nc.raw.Close()
	case <-ctx.Done():
		nc.raw.Close()
	}
}

func (t *torrent) addKnown(a netip.AddrPort, src Source) {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if !a.IsValid() || a.Port() == 0 || a == t.s.addr {
		return
	}
	if a.Addr().IsUnspecified() {
		return
	}
	if _, ok := t.known.addrs[a]; ok {
		return
	}
	if len(t.known.addrs) >= maxKnown && !t.evictKnown(src) {
		return
	}
	t.known.addrs[a] = &knownPeer{source: src}
}

// dial starts connections to known peers while below the peer limit.
func (t *torrent) dial() {
	if !t.running || t.paused || t.err != nil || t.s.hooks.noDial {
		return
	}
	now := time.Now()
	for a, k := range t.known.addrs {
		if len(t.peers)+t.known.dialing >= t.s.cfg.MaxPeersPerTorrent || t.known.dialing >= 16 {
			return
		}
		if k.connected || k.dialing || now.Before(k.nextTry) {
			continue
		}
		if _, bad := t.bans.addrs[a]; bad {
			continue
		}
		k.dialing = true
		t.known.dialing++
		t.wg.Go(func() { t.dialOne(t.ctx, a, k.source) })
	}
}

type dialResult struct {
	addr netip.AddrPort
	err  error
}

func (t *torrent) dialOne(ctx context.Context, a netip.AddrPort, src Source) {
	nc, err := t.s.dialPeer(ctx, a, t.ih, t.hasV2())
	if err != nil {
		select {
		// A freed slot goes to the next candidate now, not at the next
		// housekeeping tick: with 16 slots a second, reaching 200 peers
		// took over 10 s.
		case t.cmds <- func() { t.dialDone(a, err); t.dial() }:
		case <-ctx.Done():
		}
		return
	}
	nc.source = src
	nc.v2 = t.v2Conn(t.ih, nc.reserved, false)
	select {
	case t.cmds <- func() { t.dialDone(a, nil); t.addPeer(ctx, nc); t.dial() }:
	case <-ctx.Done():
		nc.raw.Close()
	}
}

func (t *torrent) dialDone(a netip.AddrPort, err error) {
	t.known.dialing--
	k := t.known.addrs[a]
	if k == nil {
		return
	}
	k.dialing = false
	if err != nil {
		k.fails++
		k.nextTry = time.Now().Add(dialBackoff(k.fails))
		t.log.Debug("Dial failed", "addr", a.String(), "err", err)
		if k.fails >= forgetAfterFails && k.source != SourceManual {
			delete(t.known.addrs, a) // a tracker, the DHT or PEX will name it again if it comes back
		}
	}
}

func (t *torrent) isBanned(a netip.AddrPort) bool {
	_, ok := t.bans.addrs[a]
	return ok
}

// connBanned reports whether nc's address or its peer ID was banned.
func (t *torrent) connBanned(nc *newConn) bool { return t.bans.ids[nc.peerID] || t.isBanned(nc.addr) }
