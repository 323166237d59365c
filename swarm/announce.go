package swarm

import (
	"context"
	"math"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/types/infohash"
)

// Peer sources: one goroutine per tracker URL and one for the DHT. They
// report to the torrent's goroutine over t.src.found and t.src.trackRes.

const (
	dhtAnnounceEvery = 5 * time.Minute // well inside the usual 30 min peer TTL of DHT stores
	dhtRetryFirst    = 3 * time.Second // after a failed or empty lookup, doubling up to dhtAnnounceEvery
	// durableResumeEvery bounds what a crash of the machine (not of shoal)
	// can cost: pieces verified since are checked again on restart.
	durableResumeEvery = 30 * time.Second
	stoppedTimeout     = time.Second
)

// sources is the torrent's side of its peer sources. The loop owns the
// plain fields; announcers and the DHT loop send on found and trackRes and
// read kicks and wakeDHT; learnedV2 is the exception, set once by the loop
// under the session's lock and read anywhere (hybrid.go).
type sources struct {
	trackers   []string // announce URLs, fixed at Add (a magnet's info adds none)
	trackerS   map[string]*TrackerSnapshot
	trackerErr string // the last announce error, for the stall line
	kicks      []chan struct{}
	found      chan foundPeers
	trackRes   chan trackerUpdate
	wakeDHT    chan struct{}
	learnedV2  atomic.Pointer[InfoHash] // a hybrid's v2 name, when a btih-only magnet's info brought it
}

// minInterval is the least time between two announces to one tracker.
var minInterval = 10 * time.Second

type trackerUpdate struct {
	url   string
	snap  TrackerSnapshot
	peers []netip.AddrPort
	err   error
}

func (t *torrent) startSources(ctx context.Context) {
	for _, u := range t.src.trackers {
		kick := make(chan struct{}, 1)
		t.src.kicks = append(t.src.kicks, kick)
		t.wg.Go(func() { t.announceLoop(ctx, u, kick) })
	}
	if t.s.cfg.DHT != nil {
		t.wg.Go(func() { t.dhtLoop(ctx) })
	}
}

// kickAnnouncers makes every tracker announce now (e.g. completed).
func (t *torrent) kickAnnouncers() {
	for _, k := range t.src.kicks {
		select {
		case k <- struct{}{}:
		default:
		}
	}
	t.wakeDHTNow()
}

func (t *torrent) wakeDHTNow() {
	select {
	case t.src.wakeDHT <- struct{}{}:
	default:
	}
}

// announceInput is what an announcer needs of the torrent's state for one
// announce, taken on the torrent's goroutine (askAnnounce).
type announceInput struct {
	paused, completed, private bool
	left                       int64 // wanted bytes missing; -1 before the metadata
	leechers                   int   // connected peers that lack pieces (seek.go)
}

func (t *torrent) announceInput() announceInput {
	return announceInput{paused: t.paused, completed: t.completed, private: t.private(), left: t.leftBytes(),
		leechers: t.connectedLeechers()}
}

// askAnnounce asks the torrent's goroutine for an announce's input; false
// once ctx ended.
func (t *torrent) askAnnounce(ctx context.Context) (announceInput, bool) {
	ch := make(chan announceInput, 1)
	select {
	case t.cmds <- func() { ch <- t.announceInput() }:
		return <-ch, true
	case <-ctx.Done():
		return announceInput{}, false
	}
}

// leftBytes is what the wanted pieces not yet verified weigh, or -1 while
// the content is unknown.
func (t *torrent) leftBytes() int64 {
	c := t.data.Load()
	if c == nil {
		return -1
	}
	var left int64
	for i := range c.info.NumPieces() {
		if t.picker.Priority(i) >= 0 && !t.picker.Have(i) {
			left += c.info.PieceSize(i)
		}
	}
	return left
}

// announceRequest builds an announce; the byte counters are read as they
// are now (they only grow, from the peers' goroutines).
func (t *torrent) announceRequest(ev tracker.AnnounceEvent, in announceInput) tracker.AnnounceRequest {
	return tracker.AnnounceRequest{
		InfoHash:   infohash.T(t.ih),
		PeerId:     t.s.peerID,
		Downloaded: t.xfer.down.Load(),
		Uploaded:   t.xfer.up.Load(),
		Left:       announceLeft(in.left),
		Event:      ev,
		NumWant:    200,
		Port:       t.s.addr.Port(),
		Key:        int32(t.s.peerID[19]) | int32(t.s.peerID[18])<<8,
	}
}

// announceLeft is what an announce says is left. Before a magnet's metadata
// arrives the engine does not know (left is -1), and trackers refuse a
// negative left (shoal's own does): anacrolix's HTTP client turns it into
// MaxInt64 but its UDP client sends -1 as is, so say MaxInt64 to both.
func announceLeft(left int64) int64 {
	if left < 0 {
		return math.MaxInt64
	}
	return left
}

func (t *torrent) announceLoop(ctx context.Context, url string, kick chan struct{}) {
	cl, err := tracker.NewClient(url, t.s.trackerClientOpts(t.log))
	if err != nil {
		t.report(ctx, trackerUpdate{url: url, err: err, snap: TrackerSnapshot{URL: url, LastErr: err.Error(), Seeders: -1, Leechers: -1}})
		return
	}
	defer cl.Close()
	in, ok := t.askAnnounce(ctx)
	if !ok {
		return
	}
	event := tracker.Started
	started := false
	sentCompleted := in.completed // seeding from the start is not a completion
	fails, seeking := 0, 0
	snap := TrackerSnapshot{URL: url, Seeders: -1, Leechers: -1}
	for {
		now, ok := t.askAnnounce(ctx)
		if !ok {
			break // shutting down: the stopped announce says what in last said
		}
		in = now
		if in.paused {
			// Paused: leave the swarm (peers would be refused anyway) and
			// wait to be resumed.
			if started {
				t.announceStopped(ctx, cl, url, in)
				started, event = false, tracker.Started
			}
			select {
			case <-ctx.Done():
				return
			case <-kick:
			}
			continue
		}
		if !sentCompleted && in.completed && started {
			event = tracker.Completed
		}
		actx, cancel := context.WithTimeout(ctx, 15*time.Second)
		sent := event
		res, err := t.announceAll(actx, cl, url, t.announceRequest(event, in))
		cancel()
		if ctx.Err() != nil {
			// Cut off by shutdown: the tracker may have counted this
			// announce without our hearing its reply, so it hears stopped
			// (one it never counted is harmless).
			started = true
			break
		}
		snap.LastAnnounce = time.Now()
		wait := minInterval
		var peers []netip.AddrPort
		if err != nil {
			fails++
			wait = min(15*time.Second<<min(fails-1, 7), 30*time.Minute)
			snap.LastErr = err.Error()
			t.log.Debug("Announce failed", "tracker", url, "err", err)
		} else {
			fails = 0
			snap.LastErr = ""
			started = true
			if event == tracker.Completed {
				sentCompleted = true
			}
			event = tracker.None
			snap.Seeders, snap.Leechers = int(res.Seeders), int(res.Leechers)
			for _, p := range res.Peers {
				if ap, ok := p.ToNetipAddrPort(); ok {
					peers = append(peers, ap)
				}
			}
			snap.PeersGot = len(peers)
			wait = max(time.Duration(res.Interval)*time.Second, minInterval)
			if soon := seekLeechers(in, int(res.Leechers), &seeking); soon > 0 {
				wait = min(wait, soon)
			}
			// What the tracker counted against what we are connected to: tells
			// a seed that never heard of a leecher from one whose dials fail.
			t.log.Debug("Announced", "tracker", url, "event", sent, "left", in.left, "completed", in.completed,
				"seeders", res.Seeders, "leechers", res.Leechers, "connected_leechers", in.leechers, "peers", len(peers), "next", wait)
		}
		snap.NextAnnounce = time.Now().Add(wait)
		t.report(ctx, trackerUpdate{url: url, snap: snap, peers: peers, err: err})
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-tm.C:
		case <-kick:
		}
		tm.Stop()
		if ctx.Err() != nil {
			break
		}
	}
	if started {
		t.announceStopped(ctx, cl, url, in)
	}
}

// announceStopped tells the tracker we leave, bounded by stoppedTimeout
// even when ctx is already done (shutdown).
func (t *torrent) announceStopped(ctx context.Context, cl tracker.Client, url string, in announceInput) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stoppedTimeout)
	defer cancel()
	if _, err := t.announceAll(sctx, cl, url, t.announceRequest(tracker.Stopped, in)); err != nil {
		t.log.Debug("Stopped announce failed", "tracker", url, "err", err)
	}
}

func (t *torrent) report(ctx context.Context, u trackerUpdate) {
	select {
	case t.src.trackRes <- u:
	case <-ctx.Done():
	}
}

func (t *torrent) handleTrackerUpdate(u trackerUpdate) {
	s := u.snap
	t.src.trackerS[u.url] = &s
	if u.err != nil {
		t.src.trackerErr = u.err.Error()
		t.s.emit(Event{Kind: EventTrackerError, InfoHash: t.ih, Name: t.name(), Msg: u.url + ": " + u.err.Error()})
	} else {
		t.src.trackerErr = ""
	}
	for _, a := range u.peers {
		t.addKnown(a, SourceTracker)
	}
	t.dial()
}

// dhtAnnounce runs one DHT lookup and announce. With a DHTStreamer the
// peers reach the torrent as the lookup finds them (delivered), and the
// ones it returns at the end are only counted.
func (t *torrent) dhtAnnounce(ctx context.Context) (peers []netip.AddrPort, delivered bool, err error) {
	port := int(t.s.addr.Port())
	ds, ok := t.s.cfg.DHT.(DHTStreamer)
	// A hybrid is announced under both its names, one lookup each; the
	// first error is the one reported.
	for _, ih := range t.infoHashes() {
		var got []netip.AddrPort
		var e error
		if ok {
			got, e = ds.AnnounceStream(ctx, ih, port, func(found []netip.AddrPort) {
				select {
				case t.src.found <- foundPeers{addrs: found, source: SourceDHT}:
				case <-ctx.Done():
				}
			})
		} else {
			got, e = t.s.cfg.DHT.Announce(ctx, ih, port)
		}
		peers = append(peers, got...)
		if err == nil {
			err = e
		}
	}
	return peers, ok, err
}

func (t *torrent) dhtLoop(ctx context.Context) {
	retry := dhtRetryFirst
	for {
		wait := dhtAnnounceEvery
		in, ok := t.askAnnounce(ctx)
		if !ok {
			return
		}
		if !in.private && !in.paused {
			peers, delivered, err := t.dhtAnnounce(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				t.log.Debug("DHT announce failed", "err", err)
			}
			// A lookup right after start often runs on a routing table still
			// filling up; waiting the full period would leave a new seed
			// unfindable, or a magnet stuck, for minutes.
			if err != nil || (len(peers) == 0 && !in.completed) {
				wait, retry = retry, min(2*retry, dhtAnnounceEvery)
			} else {
				retry = dhtRetryFirst
			}
			t.s.noteDHT(len(peers))
			if len(peers) > 0 && !delivered {
				select {
				case t.src.found <- foundPeers{addrs: peers, source: SourceDHT}:
				case <-ctx.Done():
					return
				}
			}
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-tm.C:
		case <-t.src.wakeDHT:
			tm.Stop()
		}
	}
}
