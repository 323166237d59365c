package swarm

import (
	"context"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// opening is a torrent's content while it is opened and checked, off the
// torrent's goroutine (see beginOpen); the snapshot shows StateChecking.
type opening struct {
	tor         *pieces.Torrent
	done, total int // pieces hashed so far by the check, of how many
}

// beginOpen starts opening tor's storage and checking what the disk holds
// on a worker; the loop goes on serving peers and commands meanwhile, and
// adopts the result when the worker hands it back.
func (t *torrent) beginOpen(tor *pieces.Torrent, force, trusted, magnet bool, reply chan error) {
	t.tor = tor
	t.opening = &opening{tor: tor}
	t.publishSnapshot() // LSD reads privacy from it
	ctx, env := t.ctx, t.contentEnv()
	progress := t.checkReporter(ctx, env.hooks.checkProgress)
	t.wg.Go(func() {
		o := openContent(ctx, env, tor, force, trusted, progress)
		o.magnet, o.reply = magnet, reply
		t.results <- func() { t.adopt(o) } // at shutdown too: closeContent then closes it
	})
}

// checkReporter returns the progress callback of a check running on a
// worker: it hands the counts to the loop a few times a second (enough for
// a progress bar; the loop is free to take them, as it does no disk work
// of its own) and to hook, if any, as often.
func (t *torrent) checkReporter(ctx context.Context, hook func(done, total int)) func(done, total int) {
	var sent time.Time
	return func(done, total int) {
		if done < total && time.Since(sent) < 100*time.Millisecond {
			return
		}
		sent = time.Now()
		select {
		case t.cmds <- func() { t.checkProgress(done, total) }:
		case <-ctx.Done():
		}
		if hook != nil {
			hook(done, total)
		}
	}
}

func (t *torrent) checkProgress(done, total int) {
	if t.opening != nil {
		t.opening.done, t.opening.total = done, total
	}
}

// adopt takes the opened content on the torrent's goroutine: the picker,
// the pieces held, the files' guards, the first resume record; then the
// disk work starts, and peers connected meanwhile hear what we have.
func (t *torrent) adopt(o opened) {
	t.opening = nil
	if o.err != nil {
		if o.reply != nil {
			o.reply <- o.err
			return
		}
		t.fail(o.err)
		return
	}
	c, info := o.c, o.tor.Info
	t.picker = pieces.NewPicker(info.NumPieces(), info.PieceLength, info.Length, uint64(time.Now().UnixNano()))
	if t.streams.sequential {
		t.picker.SetSequential(sequentialWindow(info.PieceLength))
	}
	t.filePrio = make([]Priority, len(info.Files))
	copy(t.filePrio, o.prio)
	for i := range info.NumPieces() {
		if o.have.Has(i) {
			t.picker.SetHave(i) // the content's bits were set by the open worker
		}
	}
	t.data.Store(c)
	t.applyPriorities()
	if len(o.edited) > 0 {
		t.restoreEdited(c, o.edited)
	}
	t.completed = t.picker.Done()
	// Pieces on disk passed their hashes before; a file edited since
	// leaves wanted pieces missing, and the torrent unverified.
	t.verified = t.completed && t.lostToEdits(c) == 0
	c.digestsOK = t.verified
	c.digestFiles = make([]bool, len(info.Files))
	for f := range info.Files {
		c.digestFiles[f] = t.verified && fileComplete(c, f)
	}
	if t.completed {
		c.stamps.seed = o.stamps // what withdrawChangedFiles compares against
	}
	// Rewriting (and syncing) an unchanged record cost 10,000 restored
	// seeds seconds of fsyncs at every start.
	c.res.dirty = !(t.completed && o.current)
	c.res.current = !c.res.dirty
	if o.magnet {
		t.log.Info("Metadata received", "name", info.Name, "pieces", info.NumPieces())
		t.s.emit(Event{Kind: EventMetadata, InfoHash: t.ih, Name: info.Name})
		t.wakeDHTNow()
	}
	if ev, ok := o.reuse.event(); ok {
		ev.InfoHash, ev.Name = t.ih, info.Name
		t.log.Info("Files already here", "name", info.Name, "files", ev.Had.Files, "of", ev.Had.OfFiles, "reused", ev.Had.Reused)
		t.s.emit(ev)
	}
	if t.running {
		t.startDisk(t.ctx, c)
	}
	// An announce made while the content was opening said "left unknown",
	// and a seed would then wait the tracker's interval (often 30 minutes)
	// before saying it is one and learning of leechers.
	t.kickAnnouncers()
	t.startSuperSeed(c)
	for _, p := range t.peers {
		if t.superSeeding() != nil {
			// BEP 16: still nothing advertised; offers come with superJoined.
			t.applyPending(p)
			if t.peers[p.id] == p {
				t.superJoined(p)
			}
			continue
		}
		for i := range info.NumPieces() {
			if c.has(i) {
				p.send(func(b []byte) []byte { return appendIndex(b, pp.Have, uint32(i)) })
			}
		}
		t.applyPending(p)
	}
	if o.magnet && t.completed {
		t.complete()
	}
	t.publishSnapshot()
	if o.reply != nil {
		o.reply <- nil
	}
}

// applyPriorities maps file priorities onto pieces: a piece is skipped only
// when every file it touches is skipped, and takes its highest priority.
func (t *torrent) applyPriorities() {
	info := t.data.Load()
	var in *pieces.Info
	if info != nil {
		in = info.info
	} else if t.opts.Torrent != nil {
		in = t.opts.Torrent.Info
	} else if t.meta != nil && t.meta.info != nil {
		in = t.meta.info
	}
	if in == nil || t.picker == nil {
		return
	}
	// A piece lost to a user's edit is never fetched again: its bytes
	// would go into the user's file.
	var edited []int
	if info != nil {
		_, edited = info.storage.Flagged()
	}
	for i := range in.NumPieces() {
		prio := int8(-1)
		first, end := in.FilesOf(i)
		for f := first; f < end; f++ {
			prio = max(prio, int8(t.filePrio[f]))
		}
		if first == end {
			prio = 0
		}
		if len(edited) > 0 && !info.has(i) && touchesAny(first, end, edited) {
			prio = -1
		}
		t.picker.SetPriority(i, prio)
	}
}

func touchesAny(first, end int, files []int) bool {
	for _, f := range files {
		if f >= first && f < end {
			return true
		}
	}
	return false
}

// saveResumeAsync saves the content's record on a worker when pieces
// changed since the last save (see content.resumeJob).
func (t *torrent) saveResumeAsync() {
	c := t.data.Load()
	if c == nil || !c.res.dirty {
		return
	}
	if job := c.resumeJob(!t.completed); job != nil {
		t.wg.Go(func() {
			job()
			t.results <- c.savedAsync
		})
	}
}
