package swarm

import (
	"fmt"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Verify checks every piece of torrent ih on disk again, as Transmission's
// torrent-verify does: nothing is served while the check runs (the
// snapshot shows StateChecking and its progress), pieces that match are
// offered again, and those that no longer match are fetched again, even in
// a file the user edited: asking for a check asks for the torrent's bytes.
// It returns once the check has started; EventChecked says how it ended.
// A magnet whose info has not arrived has nothing to check: ErrNoMetadata.
func (s *Session) Verify(ih InfoHash) error {
	return s.command(ih, func(t *torrent) error { return t.beginVerify() })
}

// beginVerify withdraws every piece and hashes them all on a worker; on
// the torrent's goroutine. A check already running (or the first one of
// an open) is left to finish.
func (t *torrent) beginVerify() error {
	c := t.data.Load()
	if c == nil {
		return ErrNoMetadata
	}
	if t.opening != nil {
		return nil
	}
	if t.ctx.Err() != nil {
		return ErrClosed
	}
	was := haveBitfield(c)
	for i := range c.info.NumPieces() {
		c.clearHave(i) // peers are not served bytes in doubt
	}
	t.opening = &opening{tor: c.tor}
	t.verified = false
	ctx := t.ctx
	progress := t.checkReporter(ctx, nil)
	t.spawn(func() {
		have, err := pieces.CheckTorrent(ctx, c.storage, c.tor, nil, 0, progress)
		c.checked.Add(int64(c.info.NumPieces()))
		t.results <- func() { t.verifiedAll(c, was, have, err) } // at shutdown too: was is restored
	})
	return nil
}

// verifiedAll applies a check of every piece: have is what matched, was
// what the torrent held before it.
func (t *torrent) verifiedAll(c *content, was, have pieces.Bitfield, err error) {
	t.opening = nil
	if t.data.Load() != c {
		return
	}
	n := c.info.NumPieces()
	if err != nil {
		// Stopped, or the disk failed: what was held stays held, as the
		// check proved nothing against it.
		for i := range n {
			if was.Has(i) {
				c.setHave(i)
			}
		}
		t.publishSnapshot()
		if t.ctx.Err() == nil {
			t.log.Warn("Check of the data failed", "err", err)
			t.publishAndEmit(Event{Kind: EventChecked, InfoHash: t.ih, Name: t.name(), Msg: "the check failed: " + err.Error()})
		}
		return
	}
	lost, found, good := 0, 0, 0
	for i := range n {
		// c.has(i): a download verified it while the check ran.
		if have.Has(i) || c.has(i) {
			good++
			c.setHave(i)
			if !t.picker.Have(i) {
				t.picker.HandleVerified(i)
				found++
			}
			continue
		}
		if t.picker.Have(i) {
			t.picker.Unhave(i)
			lost++
		}
	}
	// Files that lack pieces are shoal's to write again; complete ones
	// are guarded at their stamps as they are now.
	for f, fi := range c.info.Files {
		if fi.Padding || fi.Length == 0 {
			continue
		}
		if !fileComplete(c, f) {
			c.storage.Unguard(f)
			continue
		}
		if st, err := c.storage.StatFile(f); err == nil {
			c.storage.Rechecked(f, st, false)
		}
	}
	c.saveEdited()
	t.applyPriorities()
	c.res.dirty = true
	c.digestsOK = false // a complete torrent's BLAKE3 digests are checked again too
	clear(c.digestFiles)
	wasDone := t.completed
	t.completed = t.picker.Done()
	msg := fmt.Sprintf("checked: %d of %d pieces match", good, n)
	if lost > 0 {
		msg += fmt.Sprintf("; %d no longer do and are fetched again", lost)
	}
	t.log.Info("Data checked", "name", t.name(), "pieces", n, "good", good, "lost", lost, "found", found)
	// The event once the snapshot shows what it says.
	defer t.publishAndEmit(Event{Kind: EventChecked, InfoHash: t.ih, Name: t.name(), Msg: msg})
	switch {
	case t.completed && !wasDone:
		t.complete()
	case t.completed:
		c.stamps.seed, _ = pieces.Stamp(t.dir, c.info)
		t.finish(c)
	default:
		c.stamps.seed = nil
		if c.res.journal == nil {
			// As at adopt: a record before the first write, then the
			// journal of the pieces verified after it.
			c.saveResume(true)
			c.startJournal()
		}
		for _, k := range t.known.addrs {
			k.nextTry = time.Time{} // seeds dropped at completion are useful again
		}
		t.dial()
		for _, p := range t.peers {
			t.updateInterest(p)
			t.request(p)
		}
	}
}
