package swarm

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// PeerTotal is what one peer address sent and received over the whole
// session, including peers no longer connected.
type PeerTotal struct {
	Addr       string
	Downloaded int64 // payload received from it
	Uploaded   int64 // payload sent to it
	Banned     bool
	// Wasted is what it sent of pieces thrown away: failed their hash, or
	// reset because a banned peer's blocks were in them.
	Wasted int64
}

// traffic is what the torrent moves: byte counters the peers' goroutines
// and the disk goroutines add to (anyone reads them, for the UI), the
// torrent's own rate limits (set by SetTorrentLimits, read by the peers'
// goroutines), and the loop's rates, per-address totals and the time a
// block last arrived.
type traffic struct {
	down, up, wasted atomic.Int64
	limits           atomic.Pointer[torrentLimits] // torrent_limits.go
	downRate, upRate meter
	bestDown         float64 // the fastest peer's downRate (endgame duplicates)
	totals           map[netip.AddrPort]*peerTotal
	lastMove         time.Time // a block was written (stall.go)
}

// published is the loop's record of the torrent's snapshot: the last one
// built, which Session.Snapshot and LSD read, and when to build the next.
type published struct {
	snap atomic.Pointer[TorrentSnapshot]
	// stale: the loop handled something since the last publishSnapshot;
	// quietTicks counts the ticks since that skipped it (publishTick).
	stale      bool
	quietTicks int
	// drowsy: the loop's timers run at the quiet pace (the stamp checks
	// read it too, stampEvery). Probes for tests, written by the loop
	// alone: ticks, builds and timerWakes count sample ticks,
	// publishSnapshot calls and wakes for a timer.
	drowsy                    atomic.Bool
	ticks, builds, timerWakes atomic.Int64
}

type peerTotal struct {
	down, up, wasted int64
	live             *peer
	earned           int // the queue depth it had reached (queueDepth), for its next connection
}

func (t *torrent) sampleRates() {
	now := time.Now()
	t.xfer.downRate.update(t.xfer.down.Load(), now)
	t.xfer.upRate.update(t.xfer.up.Load(), now)
	t.webSampleRates(now)
	t.xfer.bestDown = 0
	for _, p := range t.peers {
		p.downRate.update(p.downloaded.Load(), now)
		t.xfer.bestDown = max(t.xfer.bestDown, p.downRate.rate)
		p.upRate.update(p.uploaded.Load(), now)
		if p.downRate.rate > blockSize {
			p.queueTarget = maxQueue // delivering again after a snub
		}
	}
}

// quietPublishEvery bounds the ticks a quiet torrent's snapshot goes
// unrefreshed, for anything that changes it without passing the loop.
const quietPublishEvery = 20

// quietBeforeDrowsy is how many quiet ticks in a row slow a torrent's
// timers down to quietTickEvery.
const quietBeforeDrowsy = 4

// quietTickEvery is a quiet torrent's tick for a sample period d: twenty
// times slower, but no slower than the file stamp check's period (its
// housekeeping runs on this tick).
func quietTickEvery(d time.Duration) time.Duration {
	return max(d, min(20*d, stampCheckEvery))
}

// publishTick is the sample tick's publishSnapshot. A quiet torrent whose
// loop handled nothing since the last one skips it: its snapshot would be
// the same, and 10,000 idle seeds rebuilt 20,000 snapshots a second.
func (t *torrent) publishTick() {
	if t.pub.stale || !t.quiet() || t.pub.quietTicks >= quietPublishEvery {
		t.publishSnapshot()
		return
	}
	t.pub.quietTicks++
}

// quiet: nothing in the torrent's snapshot moves with time alone. No
// peers and no rates, and a state whose stall line does not depend on the
// clock or the DHT (see stalled): seeding, paused or stopped by an error.
// The published rates must have reached 0 too: the meter falls to 0 a
// tick before a snapshot shows it, and skipping that tick left a finished
// download showing its last rate for 20 ticks.
func (t *torrent) quiet() bool {
	if p := t.pub.snap.Load(); p == nil || p.DownBps != 0 || p.UpBps != 0 {
		return false
	}
	return len(t.peers) == 0 && t.xfer.downRate.rate == 0 && t.xfer.upRate.rate == 0 && t.opening == nil &&
		!t.diskFull() && (t.paused || t.err != nil || t.completed && t.data.Load() != nil)
}

func (t *torrent) publishSnapshot() {
	t.pub.stale, t.pub.quietTicks = false, 0
	t.pub.builds.Add(1)
	defer t.s.torrentPubs.Add(1) // after the Store below: see Session.torrentPubs
	c := t.data.Load()
	ts := TorrentSnapshot{
		InfoHash:       t.ih,
		Name:           t.name(),
		Magnet:         t.magnet(),
		State:          t.state(),
		Verified:       t.verified,
		Private:        t.private(),
		AddedAt:        t.addedAt,
		DataDir:        t.dir,
		DownBps:        int64(t.xfer.downRate.rate),
		UpBps:          int64(t.xfer.upRate.rate),
		Downloaded:     t.xfer.down.Load(),
		Uploaded:       t.xfer.up.Load(),
		Wasted:         t.xfer.wasted.Load(),
		ETA:            -1,
		PeersConnected: len(t.peers),
		PeersKnown:     len(t.known.addrs),
		Sequential:     t.streams.sequential,
		SuperSeeding:   t.choker.super != nil && !t.choker.super.done,
	}
	ts.Stall, ts.Stalled = t.stalled()
	if t.err != nil {
		ts.Err = t.err.Error()
		ts.Cause = t.err
	}
	if t.opening != nil {
		ts.CheckDone, ts.CheckTotal = t.opening.done, t.opening.total
	}
	if t.meta != nil {
		ts.MetadataHave = t.meta.have()
		ts.MetadataTotal = len(t.meta.got)
	}
	if t.layers != nil {
		ts.LayersHave, ts.LayersTotal = t.layers.progress()
	}
	for _, k := range t.known.addrs {
		switch k.source {
		case SourceTracker:
			ts.Sources.Tracker++
		case SourceDHT:
			ts.Sources.DHT++
		case SourcePEX:
			ts.Sources.PEX++
		case SourceLSD:
			ts.Sources.LSD++
		case SourceManual:
			ts.Sources.Manual++
		}
	}
	for _, p := range t.peers {
		if p.nc.incoming {
			ts.Sources.Incoming++
		}
	}
	if c != nil {
		t.fillContentSnapshot(&ts, c)
	}
	for _, p := range t.peers {
		ts.Peers = append(ts.Peers, t.peerSnapshot(p, c))
	}
	slices.SortFunc(ts.Peers, func(a, b PeerSnapshot) int { return cmp.Compare(a.Addr, b.Addr) })
	for _, b := range t.bans.addrs {
		ts.Banned = append(ts.Banned, b)
	}
	slices.SortFunc(ts.Banned, func(a, b BannedPeer) int { return a.At.Compare(b.At) })
	for a, tot := range t.xfer.totals {
		pt := PeerTotal{Addr: a.String(), Downloaded: tot.down, Uploaded: tot.up, Wasted: tot.wasted}
		if tot.live != nil {
			pt.Downloaded += tot.live.downloaded.Load()
			pt.Uploaded += tot.live.uploaded.Load()
		}
		_, pt.Banned = t.bans.addrs[a]
		ts.PeerTotals = append(ts.PeerTotals, pt)
	}
	slices.SortFunc(ts.PeerTotals, func(a, b PeerTotal) int { return cmp.Compare(a.Addr, b.Addr) })
	for _, u := range t.src.trackers {
		if tr := t.src.trackerS[u]; tr != nil {
			ts.Trackers = append(ts.Trackers, *tr)
		} else {
			ts.Trackers = append(ts.Trackers, TrackerSnapshot{URL: u, Seeders: -1, Leechers: -1})
		}
	}
	ts.WebSeeds = t.webSnapshot()
	t.pub.snap.Store(&ts)
}

func (t *torrent) fillContentSnapshot(ts *TorrentSnapshot, c *content) {
	info := c.info
	n := info.NumPieces()
	ts.SizeBytes = info.Length
	ts.PieceLength = info.PieceLength
	ts.Pieces = make([]PieceState, n)
	ts.Availability = make([]uint8, n)
	for i := range n {
		size := info.PieceSize(i)
		wanted := t.picker.Priority(i) >= 0
		switch {
		case c.has(i):
			ts.Pieces[i] = PieceDone
		case !wanted:
			ts.Pieces[i] = PieceSkipped
		case t.bans.failed[i]:
			ts.Pieces[i] = PieceFailed
		case t.picker.InFlight(i):
			ts.Pieces[i] = PieceInFlight
		}
		if wanted {
			ts.WantedBytes += size
			if c.has(i) {
				ts.DoneBytes += size
			}
		}
		ts.Availability[i] = uint8(min(t.picker.Availability(i), 255))
	}
	ts.LostToEdits = t.lostToEdits(c)
	_, edited := c.storage.Flagged()
	for _, f := range edited {
		ts.Edited = append(ts.Edited, filePath(info, f))
	}
	for f, fi := range info.Files {
		fs := FileSnapshot{Path: filePath(info, f), SizeBytes: fi.Length, Priority: t.filePrio[f]}
		first, end := info.PiecesOf(f)
		for i := first; i < end; i++ {
			if !c.has(i) {
				continue
			}
			lo := max(info.PieceOffset(i), fi.Offset)
			hi := min(info.PieceOffset(i)+info.PieceSize(i), fi.Offset+fi.Length)
			fs.DoneBytes += max(hi-lo, 0)
		}
		ts.Files = append(ts.Files, fs)
	}
	if left := ts.WantedBytes - ts.DoneBytes; left == 0 {
		ts.ETA = 0
	} else if ts.DownBps > 0 {
		ts.ETA = time.Duration(float64(left) / float64(ts.DownBps) * float64(time.Second))
	}
	for _, p := range t.peers {
		if p.hasAll || p.haveCount == n {
			ts.Seeds++
		}
	}
}

func (t *torrent) peerSnapshot(p *peer, c *content) PeerSnapshot {
	ps := PeerSnapshot{
		Addr:           p.nc.addr.String(),
		Client:         p.client,
		Source:         p.nc.source,
		Incoming:       p.nc.incoming,
		Encrypted:      p.nc.encrypted,
		AmChoking:      p.amChoking.Load(),
		AmInterested:   p.amInterested,
		PeerChoking:    p.peerChoking,
		PeerInterested: p.peerInterested,
		Snubbed:        p.Snubbed(),
		DownBps:        int64(p.downRate.rate),
		UpBps:          int64(p.upRate.rate),
		Downloaded:     p.downloaded.Load(),
		Uploaded:       p.uploaded.Load(),
		ConnectedAt:    p.connectedAt,
	}
	if t.picker != nil {
		ps.RequestsOut = t.picker.Outstanding(pieces.Peer(p.id))
	}
	p.mu.Lock()
	ps.RequestsIn = len(p.serve)
	p.mu.Unlock()
	switch {
	case p.hasAll:
		ps.Progress = 1
	case c != nil:
		ps.Progress = float64(p.haveCount) / float64(c.info.NumPieces())
	}
	return ps
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (t *torrent) snapshot() TorrentSnapshot {
	if s := t.pub.snap.Load(); s != nil {
		return *s
	}
	return TorrentSnapshot{InfoHash: t.ih, Name: t.name()}
}

func sortTorrents(ts []TorrentSnapshot) {
	slices.SortFunc(ts, func(a, b TorrentSnapshot) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
