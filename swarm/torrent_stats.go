package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
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

type peerTotal struct {
	down, up, wasted int64
	live             *peer
}

func (t *torrent) sampleRates() {
	now := time.Now()
	t.downRate.update(t.downloaded.Load(), now)
	t.upRate.update(t.uploaded.Load(), now)
	for _, p := range t.peers {
		p.downRate.update(p.downloaded.Load(), now)
		p.upRate.update(p.uploaded.Load(), now)
		if p.downRate.rate > blockSize {
			// About a second of data in flight keeps the pipe full at any
			// latency; loopback needs hundreds of blocks.
			p.queueTarget = min(max(int(p.downRate.rate/blockSize), 64), 1000)
		}
	}
}

func (t *torrent) publishSnapshot() {
	c := t.data.Load()
	ts := TorrentSnapshot{
		InfoHash:       t.ih,
		Name:           t.name(),
		Magnet:         t.magnet,
		State:          t.state,
		Verified:       t.verified,
		Private:        t.private,
		AddedAt:        t.addedAt,
		DataDir:        t.dir,
		DownBps:        int64(t.downRate.rate),
		UpBps:          int64(t.upRate.rate),
		Downloaded:     t.downloaded.Load(),
		Uploaded:       t.uploaded.Load(),
		Wasted:         t.wasted.Load(),
		ETA:            -1,
		PeersConnected: len(t.peers),
		PeersKnown:     len(t.known),
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
	for _, k := range t.known {
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
	for _, b := range t.banned {
		ts.Banned = append(ts.Banned, b)
	}
	slices.SortFunc(ts.Banned, func(a, b BannedPeer) int { return a.At.Compare(b.At) })
	for a, tot := range t.totals {
		pt := PeerTotal{Addr: a.String(), Downloaded: tot.down, Uploaded: tot.up, Wasted: tot.wasted}
		if tot.live != nil {
			pt.Downloaded += tot.live.downloaded.Load()
			pt.Uploaded += tot.live.uploaded.Load()
		}
		_, pt.Banned = t.banned[a]
		ts.PeerTotals = append(ts.PeerTotals, pt)
	}
	slices.SortFunc(ts.PeerTotals, func(a, b PeerTotal) int { return cmp.Compare(a.Addr, b.Addr) })
	for _, u := range t.trackers {
		if tr := t.trackerS[u]; tr != nil {
			ts.Trackers = append(ts.Trackers, *tr)
		} else {
			ts.Trackers = append(ts.Trackers, TrackerSnapshot{URL: u, Seeders: -1, Leechers: -1})
		}
	}
	t.snap.Store(&ts)
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
		case t.failed[i]:
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
		AmChoking:      p.amChokingA,
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
	if s := t.snap.Load(); s != nil {
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

func (t *torrent) saveResume() {
	c := t.data.Load()
	p := t.resumePath()
	if c == nil || p == "" {
		return
	}
	// Mid-download the disk goroutines keep writing after these stamps; at
	// completion and at shutdown (ctx done, writers gone) they are final.
	writing := !t.completed && t.ctx.Err() == nil
	t.resumeSeq++
	if err := t.writeResume(c, p, haveBitfield(c), writing, t.resumeSeq, true); err != nil {
		t.log.Warn("Saving resume state failed", "err", err)
		return
	}
	t.resumeDirt = false
}

// saveResumeAsync saves the resume record on a goroutine: the fsync it
// starts with can take seconds under a fast download, and the torrent's
// goroutine must keep feeding the pipelines meanwhile. One save at a time;
// while one runs, later calls are skipped (the record stays dirty).
func (t *torrent) saveResumeAsync() {
	c := t.data.Load()
	p := t.resumePath()
	if c == nil || p == "" || t.saving {
		return
	}
	t.saving = true
	have := haveBitfield(c) // taken here: the actor owns the piece states
	writing := !t.completed
	t.resumeDirt = false
	t.resumeSeq++
	seq := t.resumeSeq
	// Syncing gigabytes of fresh data every tick would pace a fast download
	// at the disk's flush speed. Most ticks write a fast record instead,
	// good against a killed process; a durable one follows every
	// durableResumeEvery, and at completion and shutdown.
	durable := t.s.bootID == "" || time.Since(t.lastDurable) >= durableResumeEvery
	if durable {
		t.lastDurable = time.Now()
	}
	t.wg.Go(func() {
		if err := t.writeResume(c, p, have, writing, seq, durable); err != nil {
			t.log.Warn("Saving resume state failed", "err", err)
		}
		t.results <- func() { t.saving = false }
	})
}

// writeResume saves a record of have. A durable save syncs the data first,
// so the record never claims pieces a crash of the machine could lose, and
// then drops the fast record; a fast one goes to fastPath(path), marked
// with the boot id it is good for. Saves are serialized, and one older
// (seq) than the last written is dropped.
func (t *torrent) writeResume(c *content, path string, have pieces.Bitfield, writing bool, seq int64, durable bool) error {
	t.resumeMu.Lock()
	defer t.resumeMu.Unlock()
	if seq <= t.resumeWritten {
		return nil
	}
	t.resumeWritten = seq
	if durable {
		if err := c.storage.Sync(); err != nil {
			t.log.Warn("Sync failed", "err", err)
		}
	}
	stamps, err := pieces.Stamp(t.dir, c.info)
	if err != nil {
		return fmt.Errorf("stat files: %w", err)
	}
	r := &pieces.Resume{InfoHash: t.ih, Have: have, Files: stamps, Writing: writing}
	if !durable {
		r.Boot = t.s.bootID
		return pieces.SaveResume(fastPath(path), r)
	}
	if err := pieces.SaveResume(path, r); err != nil {
		return err
	}
	if err := os.Remove(fastPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.log.Warn("Removing the fast resume record failed", "err", err)
	}
	return nil
}

func fastPath(resumePath string) string { return resumePath + ".fast" }

func hasBlake3(info *pieces.Info) bool {
	for _, f := range info.Files {
		if f.Blake3 != nil {
			return true
		}
	}
	return false
}

// clientName decodes Azureus-style peer ids ("-SH0010-...").
func clientName(id [20]byte) string {
	if id[0] == '-' && id[7] == '-' {
		return string(id[1:7])
	}
	return ""
}

func resolveAddr(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	pn, err := net.LookupPort("tcp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(pn)), nil
}
