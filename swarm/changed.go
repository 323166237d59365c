package swarm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Files changed behind shoal's back. Three things notice a change: a read
// for upload whose fstat disagrees with the file's guard (peer.go), the
// periodic stat of a complete torrent's paths (housekeeping.go), and the
// BLAKE3 pass after a restart (digest.go). Each calls fileChanged on the
// torrent's goroutine, which withdraws the file's pieces at once and
// re-hashes them in the background. Pieces that still match are offered
// again; the others stay missing and are never downloaded again, because
// the file is now the user's and shoal must not write over it
// (pieces.Storage refuses such writes too).

// recheckRetry is how long a re-check waits before hashing a file again
// that kept changing while it was hashed (a file still being written).
var recheckRetry = time.Second

// fileChanged withdraws file f's pieces and starts their re-check, unless
// one is already under way (it notices further changes itself). why says
// what noticed the change, for the log and the event. The pieces checked
// are those f shares that were offered, plus, for a file already found
// edited, those it lost (the edit may have been undone); a partial file's
// never-fetched pieces are not the user's to lose.
func (t *torrent) fileChanged(c *content, f int, why string) {
	if t.data.Load() != c {
		return
	}
	list := c.withdraw(f)
	if len(list) == 0 {
		return
	}
	t.verified = false // withdrawn pieces are missing until the re-check says otherwise
	path := filePath(c.info, f)
	t.log.Warn("File changed on disk; re-checking its pieces", "file", path, "why", why, "pieces", len(list))
	t.s.emit(Event{Kind: EventDataChanged, InfoHash: t.ih, Name: t.name(),
		Msg: fmt.Sprintf("%s changed on disk (%s): re-checking %d piece(s), not offered meanwhile", path, why, len(list))})
	t.startRecheck(c, recheck{file: f, pieces: list, files: filesOf(c.info, list)})
}

// withdraw marks file f changed and withdraws its pieces until a re-check
// says which still match; it returns those to re-check, none when one
// already runs or nothing of f is offered. The pieces are those f shares
// that were offered, plus, for a file already found edited, those it lost
// (the edit may have been undone); a partial file's never-fetched pieces
// are not the user's to lose. On the torrent's loop.
func (c *content) withdraw(f int) []int {
	fi := c.info.Files[f]
	if fi.Padding || fi.Length == 0 || c.storage.Changed(f) {
		return nil
	}
	edited := c.storage.Edited(f)
	pending, _ := c.storage.Flagged()
	var list []int
	first, end := c.info.PiecesOf(f)
	for i := first; i < end; i++ {
		// A piece shared with a file under re-check was withdrawn by it;
		// which re-check finishes last decides it, so both hash it.
		if c.has(i) || edited || otherChanged(c, i, f, pending) {
			list = append(list, i)
		}
	}
	if len(list) == 0 || !c.storage.MarkChanged(f) {
		return nil
	}
	for _, i := range list {
		c.clearHave(i)
	}
	c.res.dirty = true
	c.saveEdited() // the record now lacks its pieces: a restart must not fetch them over the file
	return list
}

// startRecheck hashes r's pieces on a worker, whose result the loop
// applies (rechecked).
func (t *torrent) startRecheck(c *content, r recheck) {
	ctx := t.ctx
	t.wg.Go(func() {
		if r, ok := c.recheckFile(ctx, r); ok {
			select {
			case t.cmds <- func() { t.rechecked(c, r) }:
			case <-ctx.Done():
			}
		}
	})
}

// filesOf lists the files that hold bytes of the given pieces, in order.
func filesOf(info *pieces.Info, list []int) []int {
	var out []int
	for _, i := range list {
		lo, hi := info.FilesOf(i)
		for g := lo; g < hi; g++ {
			if len(out) == 0 || out[len(out)-1] < g {
				out = append(out, g)
			}
		}
	}
	return out
}

// recheck is one re-check of a file: what to hash and what it found.
type recheck struct {
	file   int
	pieces []int
	files  []int         // every file holding bytes of pieces, file among them
	waited time.Duration // before hashing: doubles while the files keep changing
	// The paths' stamps around the hashing, per entry of files: a sum is
	// only as good as the files it read stayed put.
	before, after []pieces.FileStamp
	match         []bool // per entry of pieces
}

func stampsOf(c *content, files []int) []pieces.FileStamp {
	out := make([]pieces.FileStamp, len(files))
	for k, g := range files {
		out[k], _ = c.storage.StatFile(g)
	}
	return out
}

// recheckFile hashes r's pieces again, on a worker, and returns what it
// found; false when ctx ended first.
func (c *content) recheckFile(ctx context.Context, r recheck) (recheck, bool) {
	if r.waited > 0 {
		tm := time.NewTimer(r.waited)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-ctx.Done():
			return r, false
		}
	}
	f := r.file
	r.before = stampsOf(c, r.files)
	c.storage.Reopen(f) // a file saved by rename: hash the new one, not our old descriptor's
	r.match = make([]bool, len(r.pieces))
	for k, i := range r.pieces {
		if ctx.Err() != nil {
			return r, false
		}
		ok, err := pieces.PieceOK(c.storage, c.tor, i)
		r.match[k] = err == nil && ok
	}
	c.checked.Add(int64(len(r.pieces)))
	r.after = stampsOf(c, r.files)
	return r, true
}

// rechecked applies a re-check on the torrent's goroutine.
func (t *torrent) rechecked(c *content, r recheck) {
	if t.data.Load() != c {
		return
	}
	f := r.file
	if !stable(r.before, r.after, stampsOf(c, r.files)) {
		// Written to while hashed: the sums may mix two versions. A file
		// still being written (a log) waits longer each time, up to a
		// minute, rather than be hashed in a loop.
		r.waited = min(max(2*r.waited, recheckRetry), time.Minute)
		t.startRecheck(c, r)
		return
	}
	back, lost, after, wasEdited := c.applyRecheck(r)
	for _, i := range back {
		t.picker.HandleVerified(i)
		t.streams.verified()
	}
	t.applyPriorities()
	path, total := filePath(c.info, f), len(r.pieces)
	var msg string
	switch {
	case lost > 0 && after.Size < 0:
		msg = fmt.Sprintf("%s is gone from disk: its %d pieces are no longer offered", path, total)
	case lost > 0:
		msg = fmt.Sprintf("%s changed on disk: %d of %d pieces no longer match; not re-downloading over your edit", path, lost, total)
	case wasEdited:
		msg = fmt.Sprintf("%s matches the torrent again: all %d pieces offered again", path, total)
	default:
		msg = fmt.Sprintf("%s changed on disk but all %d pieces still match; offered again", path, total)
	}
	t.log.Warn("File re-checked", "file", path, "pieces", total, "lost", lost)
	t.publishAndEmit(Event{Kind: EventDataChanged, InfoHash: t.ih, Name: t.name(), Msg: msg})
	t.finish(c)
}

// applyRecheck offers again the pieces of a stable re-check that match
// (those it returns), and records file r.file's new state: edited when
// pieces were lost. On the torrent's loop.
func (c *content) applyRecheck(r recheck) (back []int, lost int, after pieces.FileStamp, wasEdited bool) {
	f := r.file
	changed, _ := c.storage.Flagged()
	for k, i := range r.pieces {
		if !r.match[k] {
			lost++
			continue
		}
		if otherChanged(c, i, f, changed) {
			continue // that file's own re-check decides
		}
		c.setHave(i)
		back = append(back, i)
	}
	after = r.after[slices.Index(r.files, f)]
	wasEdited = c.storage.Edited(f)
	c.storage.Rechecked(f, after, lost > 0)
	if c.stamps.seed != nil {
		c.stamps.seed[f] = after
	}
	c.res.dirty = true
	c.saveEdited()
	return back, lost, after, wasEdited
}

func stable(before, after, now []pieces.FileStamp) bool {
	for k := range before {
		if !before[k].Equal(after[k]) || !after[k].Equal(now[k]) {
			return false
		}
	}
	return true
}

// otherChanged reports whether piece i also holds bytes of a changed file
// other than f.
func otherChanged(c *content, i, f int, changed []int) bool {
	lo, hi := c.info.FilesOf(i)
	for _, g := range changed {
		if g != f && g >= lo && g < hi {
			return true
		}
	}
	return false
}

// changedNote is the snapshot's line about changed files: which file, and
// how many of its pieces were lost to an edit.
func (t *torrent) changedNote(c *content) string {
	changed, edited := c.storage.Flagged()
	var note string
	n := len(changed) + len(edited)
	switch {
	case len(changed) > 0:
		note = "re-checking " + filePath(c.info, changed[0]) + " (changed on disk)"
	case len(edited) > 0:
		f := edited[0]
		first, end := c.info.PiecesOf(f)
		lost := 0
		for i := first; i < end; i++ {
			if !c.has(i) {
				lost++
			}
		}
		note = fmt.Sprintf("%s changed on disk: %d of %d pieces no longer match; not re-downloading over your edit",
			filePath(c.info, f), lost, end-first)
	default:
		return ""
	}
	if n > 1 {
		note += fmt.Sprintf(" (and %d more file(s))", n-1)
	}
	return note
}
