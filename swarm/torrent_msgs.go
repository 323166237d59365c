package swarm

import (
	"errors"
	"slices"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

func (t *torrent) handleEvent(ev peerEvent) {
	if ev.notes != nil {
		t.handleNotes(ev.notes)
		return
	}
	p := ev.p
	if _, live := t.peers[p.id]; !live && !t.web.has(p) {
		return
	}
	if ev.err != nil {
		t.dropPeer(p, ev.err)
		return
	}
	if ev.blocks != nil {
		t.handleBlocks(p, ev)
		return
	}
	if err := t.handleMessage(p, ev.msg); err != nil {
		t.log.Debug("Peer protocol error", "addr", p.nc.addr.String(), "err", err)
		t.dropPeer(p, err)
	}
}

// dropPeer disconnects p, banning it when err is a protocol violation.
func (t *torrent) dropPeer(p *peer, err error) {
	var pe *protoError
	if errors.As(err, &pe) {
		t.ban(peerIdent{addr: p.nc.addr, peerID: p.nc.peerID}, pe.Error())
		return
	}
	t.removePeer(p, err)
}

// handleNotes takes written blocks in disk order. Blocks of peers gone
// since count too: their bytes are what the disk holds.
func (t *torrent) handleNotes(notes []blockNote) {
	if t.picker == nil {
		return
	}
	now := time.Now()
	t.xfer.lastMove = now
	// The peers whose queues moved: senders, and peers whose duplicate
	// requests were cancelled. Only they have room for new requests; with
	// 1,000 peers in endgame, topping up all of them on every cancel spent
	// half the leecher's CPU in the picker.
	var touched []*peer
	var poisoned []peerIdent
	for _, n := range notes {
		useful, cancels, complete := t.picker.HandleBlock(pieces.Peer(n.p.id), n.b)
		if !useful {
			t.xfer.wasted.Add(int64(n.b.Length))
			continue
		}
		if t.connBanned(n.p.nc) {
			// Read before its sender's ban, written after it: the piece is
			// poisoned as those the ban dropped were (ban.go), and must not
			// be completed by honest blocks to fail its hash. (A piece this
			// block completed is verified below, and fails as any would.)
			poisoned = append(poisoned, peerIdent{addr: n.p.nc.addr, peerID: n.p.nc.peerID})
		}
		n.p.lastBlock = now
		if len(touched) == 0 || touched[len(touched)-1] != n.p {
			touched = append(touched, n.p)
		}
		for _, c := range cancels {
			t.cancelRequest(c.Peer, c.Block)
			if p := t.peers[c.Peer]; p != nil {
				touched = append(touched, p)
			}
		}
		if complete {
			t.verify(n.b.Piece)
		}
	}
	for _, who := range poisoned {
		t.dropPoisoned(who)
	}
	for i, p := range touched {
		if _, live := t.peers[p.id]; live && !slices.Contains(touched[:i], p) {
			t.request(p)
		}
	}
}

func (t *torrent) handleBlocks(p *peer, ev peerEvent) {
	pr := pieces.Peer(p.id)
	for _, b := range ev.blocks {
		t.picker.HandleReject(pr, b)
	}
	c := t.data.Load() // the disk goroutines that report run
	if isDiskFull(ev.diskErr) {
		if c.writeFailed.IsZero() {
			t.log.Warn("Disk full; pausing downloads", "err", ev.diskErr)
			t.s.emit(Event{Kind: EventDiskFull, InfoHash: t.ih, Name: t.name(), Msg: ev.diskErr.Error()})
		}
		c.writeFailed = time.Now()
		return
	}
	if errors.Is(ev.diskErr, pieces.ErrNotShared) {
		// A block of a piece inside a file skipped (and parted) after it
		// was asked for: storage refuses to create the file for it, and
		// the piece is no longer wanted. Not a disk error.
		return
	}
	t.log.Error("Write failed", "err", ev.diskErr)
	t.s.emit(Event{Kind: EventError, InfoHash: t.ih, Name: t.name(), Msg: ev.diskErr.Error()})
	c.writeFailed = time.Now() // retry later, as for a full disk
}

func (t *torrent) handleMessage(p *peer, m message) error {
	pr := pieces.Peer(p.id)
	c := t.data.Load()
	switch m.Type {
	case pp.Choke:
		p.peerChoking = true
		if t.picker != nil {
			t.picker.HandleChoke(pr, false)
		}
		p.mu.Lock()
		for b := range p.reqOut {
			p.excuse(b) // sent before the choke, maybe
		}
		clear(p.reqOut)
		p.mu.Unlock()
	case pp.Unchoke:
		p.peerChoking = false
		p.unchokedAt = time.Now()
		if t.picker != nil {
			t.picker.HandleUnchoke(pr)
			t.request(p)
		}
	case pp.Interested:
		p.peerInterested = true
		p.interestedAt = time.Now()
		// A super-seed unchokes every peer it offered a piece (choke.go).
		// With every slot taken, a newcomer takes the trial slot now if
		// it is free, not at the next rechoke.
		if p.amChoking.Load() && (t.choker.admits(t.unchokedCount()) || t.superSeeding() != nil ||
			p.servedSince.IsZero() && t.choker.trialNow(p.interestedAt, int(p.id))) {
			t.unchoke(p)
		}
	case pp.NotInterested:
		p.peerInterested = false
	case pp.Have:
		i := int(m.Index)
		if c != nil && i >= c.info.NumPieces() {
			return violation("have of piece %d of %d", i, c.info.NumPieces())
		}
		if p.hasAll {
			return nil
		}
		p.haveCount++
		if c != nil && t.completed && p.haveCount == c.info.NumPieces() {
			t.superSaw(p, i) // the piece is out, though its holder goes
			t.removePeer(p, errBothSeeds)
			return nil
		}
		if t.picker != nil {
			t.picker.HandleHave(pr, i)
			t.superNoticed(p, i)
			if t.picker.Priority(i) >= 0 && !t.picker.Have(i) {
				if !p.amInterested {
					t.setInterested(p, true)
				}
				// Only a piece we want gives p something new to send.
				// In a swarm of leechers most Haves are of pieces held,
				// and each pick scans every piece.
				t.request(p)
			}
		} else {
			p.pendingHave = append(p.pendingHave, i)
		}
	case pp.Bitfield:
		if c == nil {
			p.pendingBF = m.Payload
			return nil
		}
		if err := t.applyBitfield(p, m.Payload); err != nil {
			return err
		}
		t.superNoticed(p, -1)
	case pp.HaveAll:
		if !p.fast {
			return violation("%v without the fast extension", m.Type)
		}
		p.hasAll = true
		if t.picker != nil {
			if t.completed {
				t.removePeer(p, errBothSeeds)
				return nil
			}
			t.picker.HandleHaveAll(pr)
			t.updateInterest(p)
			t.request(p)
		}
	case pp.HaveNone:
		if !p.fast {
			return violation("%v without the fast extension", m.Type)
		}
	case pp.Reject:
		if !p.fast {
			return violation("%v without the fast extension", m.Type)
		}
		b := pieces.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
		p.mu.Lock()
		delete(p.reqOut, b)
		p.mu.Unlock()
		if t.picker != nil {
			t.picker.HandleReject(pr, b)
		}
	case pp.AllowedFast:
		if t.picker != nil && c != nil && int(m.Index) < c.info.NumPieces() {
			t.picker.HandleAllowedFast(pr, int(m.Index))
			t.request(p)
		}
	case pp.Extended:
		return t.handleExtended(p, m)
	case msgHashRequest:
		return t.handleHashRequest(p, m)
	case msgHashes:
		return t.handleHashes(p, m)
	case msgHashReject:
		return t.handleHashReject(p, m)
	}
	return nil
}

func (t *torrent) applyBitfield(p *peer, raw []byte) error {
	c := t.data.Load()
	bf, err := pieces.BitfieldFromBytes(raw, c.info.NumPieces())
	if err != nil {
		return violation("bitfield: %v", err)
	}
	p.haveCount = bf.Count()
	if bf.All() {
		p.hasAll = true
		if t.completed {
			t.removePeer(p, errBothSeeds)
			return nil
		}
		t.picker.HandleHaveAll(pieces.Peer(p.id))
	} else {
		t.picker.HandleBitfield(pieces.Peer(p.id), bf.Has)
	}
	t.updateInterest(p)
	t.request(p)
	return nil
}

// applyPending replays what a peer told us before we had the metadata.
func (t *torrent) applyPending(p *peer) {
	pr := pieces.Peer(p.id)
	t.picker.HandleChoke(pr, false)
	if !p.peerChoking {
		t.picker.HandleUnchoke(pr)
	}
	switch {
	case p.hasAll:
		t.picker.HandleHaveAll(pr)
	case p.pendingBF != nil:
		if err := t.applyBitfield(p, p.pendingBF); err != nil {
			t.dropPeer(p, err) // banned if it was a violation, as it would have been later
			return
		}
	}
	n := t.data.Load().info.NumPieces()
	for _, i := range p.pendingHave {
		if i >= n {
			// As a Have after the content opened would: a violation, not
			// a message to drop because it came while we were opening.
			t.dropPeer(p, violation("have of piece %d of %d", i, n))
			return
		}
		t.picker.HandleHave(pr, i)
	}
	p.pendingBF, p.pendingHave = nil, nil
	t.updateInterest(p)
	t.request(p)
}

func (t *torrent) setInterested(p *peer, v bool) {
	if p.amInterested == v {
		return
	}
	p.amInterested = v
	typ := pp.NotInterested
	if v {
		typ = pp.Interested
	}
	p.send(func(b []byte) []byte { return appendSimple(b, typ) })
}

func (t *torrent) updateInterest(p *peer) {
	if t.picker == nil {
		return
	}
	t.setInterested(p, t.picker.Interesting(pieces.Peer(p.id)))
}

func (t *torrent) handleHashed(r hashResult) {
	c := t.data.Load()
	i := r.piece
	senders := t.picker.Senders(i)
	if r.err != nil {
		t.log.Warn("Hashing failed", "piece", i, "err", r.err)
	}
	if !r.ok {
		t.log.Debug("Piece failed its hash", "piece", i, "senders", senders, "readback", r.readback)
		if r.err == nil && t.checkBlocks(i) {
			return // its leaves will tell which blocks are bad (blockblame.go)
		}
		t.pieceFailed(i, senders)
		return
	}
	delete(t.bans.failed, i)
	t.picker.HandleVerified(i)
	c.pieceVerified(i, r.digest)
	t.streams.verified()
	t.creditVerified(senders)
	t.announceHave(c, i)
	if t.picker.Done() && !t.completed {
		t.complete()
	}
}

// pieceFailed throws failed piece i away whole and blames its senders.
func (t *torrent) pieceFailed(i int, senders []pieces.Peer) {
	t.xfer.wasted.Add(t.data.Load().info.PieceSize(i))
	t.picker.HandleFailed(i)
	t.bans.failed[i] = true
	t.blameFailed(i, senders)
	t.webBadPiece(i, senders)
	t.fillRequests()
}

func (t *torrent) complete() {
	t.completed = true
	c := t.data.Load()
	c.stamps.seed, _ = pieces.Stamp(t.dir, c.info)
	t.log.Info("Torrent complete", "name", t.name())
	t.finish(c)
	c.saveResume(false) // syncs the data first, so the record never claims what a crash could lose
	c.endJournal(true)
	t.kickAnnouncers()
	for _, p := range t.peers {
		t.setInterested(p, false)
		if p.hasAll {
			t.removePeer(p, errBothSeeds)
		}
	}
}

// publishAndEmit emits ev once the torrent's and the session's snapshots
// show what it reports: whoever reacts to the event by reading Snapshot
// (shoal get exits on Verified) then sees the new state, not one up to two
// ticks old. Runs on the torrent's goroutine.
func (t *torrent) publishAndEmit(ev Event) {
	t.publishSnapshot()
	t.s.changed()
	t.s.emit(ev)
}
