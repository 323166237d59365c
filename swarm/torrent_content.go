package swarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
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

// opened is what the open worker found, for adopt.
type opened struct {
	tor    *pieces.Torrent
	c      *content
	have   pieces.Bitfield
	edited []int
	stamps []pieces.FileStamp
	// current: the durable resume record on disk holds exactly have and
	// stamps, so a complete torrent need not write it again.
	current bool
	err     error
	magnet  bool       // the info dict came from peers
	reply   chan error // Add waits for the outcome here; nil for a magnet
}

// beginOpen starts opening tor's storage and checking what the disk holds
// on a worker; the loop goes on serving peers and commands meanwhile, and
// adopts the result when the worker hands it back.
func (t *torrent) beginOpen(tor *pieces.Torrent, force, trusted, magnet bool, reply chan error) {
	t.title, t.private = tor.Info.Name, tor.Info.Private
	t.opening = &opening{tor: tor}
	t.updateState()
	t.publishSnapshot() // LSD reads privacy from it
	ctx := t.ctx
	t.wg.Go(func() {
		o := t.open(ctx, tor, force, trusted)
		o.magnet, o.reply = magnet, reply
		t.results <- func() { t.adopt(o) } // at shutdown too: closeContent then closes it
	})
}

// open opens the storage of tor and decides which pieces we have: all
// (trusted), from the resume file (stamps match), or by a check. Existing
// files shoal did not write must match unless force. It runs on the open
// worker: it reads only the torrent's fixed fields (ih, dir, s, log) and
// reports the check's progress through the loop.
func (t *torrent) open(ctx context.Context, tor *pieces.Torrent, force, trusted bool) opened {
	info := tor.Info
	o := opened{tor: tor}
	st, err := pieces.OpenStorage(t.dir, info)
	if err != nil {
		o.err = fmt.Errorf("open %s: %w", info.Name, err)
		return o
	}
	if err := t.partSkipped(st, info); err != nil {
		st.Close()
		o.err = fmt.Errorf("open %s: %w", info.Name, err)
		return o
	}
	o.stamps, err = pieces.Stamp(t.dir, info)
	if err != nil {
		st.Close()
		o.err = fmt.Errorf("stat files: %w", err)
		return o
	}
	var sent time.Time
	progress := func(done, total int) {
		// A few counts a second are enough for a progress bar; the loop
		// is free to take them, as it does no disk work of its own.
		if done < total && time.Since(sent) < 100*time.Millisecond {
			return
		}
		sent = time.Now()
		select {
		case t.cmds <- func() { t.checkProgress(done, total) }:
		case <-ctx.Done():
		}
		if h := t.s.hooks.checkProgress; h != nil {
			h(done, total)
		}
	}
	o.have, o.edited, o.current, err = t.initialHave(ctx, st, info, o.stamps, force, trusted, progress)
	if err != nil {
		st.Close()
		o.err = err
		return o
	}
	// The disk and hashing channels come with the workers (startWorkers):
	// a seed never needs them.
	o.c = &content{tor: tor, info: info, storage: st, have: make([]atomic.Uint64, (info.NumPieces()+63)/64)}
	return o
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
	if t.opts.Sequential {
		t.picker.SetSequential(sequentialWindow(info.PieceLength))
	}
	t.filePrio = make([]Priority, len(info.Files))
	copy(t.filePrio, t.opts.Priorities)
	for i := range info.NumPieces() {
		if o.have.Has(i) {
			c.setHave(i)
			t.picker.SetHave(i)
		}
	}
	t.data.Store(c)
	t.applyPriorities()
	for f, st := range o.stamps {
		if fi := info.Files[f]; !fi.Padding && fi.Length > 0 && fileComplete(c, f) {
			c.storage.Guard(f, st) // its pieces are verified at this stamp
		}
	}
	if len(o.edited) > 0 {
		t.restoreEdited(c, o.stamps, o.edited)
	}
	t.completed = t.picker.Done()
	// Pieces on disk passed their hashes before; a file edited since
	// leaves wanted pieces missing, and the torrent unverified.
	t.verified = t.completed && t.lostToEdits(c) == 0
	t.digestsOK = t.verified
	if t.completed {
		t.stamps.seed = o.stamps // what withdrawChangedFiles compares against
	}
	t.updateState()
	// Rewriting (and syncing) an unchanged record cost 10,000 restored
	// seeds seconds of fsyncs at every start.
	t.res.dirty = !(t.completed && o.current)
	t.res.current = !t.res.dirty
	if !t.completed {
		// A record before the first write: a crash before the first
		// periodic save then resumes instead of finding files it did not
		// write (ErrExistingData).
		t.saveResume()
		t.startJournal()
	}
	if o.magnet {
		t.magnet = o.tor.Magnet()
		t.log.Info("Metadata received", "name", info.Name, "pieces", info.NumPieces())
		t.s.emit(Event{Kind: EventMetadata, InfoHash: t.ih, Name: info.Name})
		t.wakeDHTNow()
	}
	if t.running {
		t.startDisk(t.ctx, c)
	}
	// An announce made while the content was opening said "left unknown",
	// and a seed would then wait the tracker's interval (often 30 minutes)
	// before saying it is one and learning of leechers.
	t.kickAnnouncers()
	for _, p := range t.peers {
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

func (t *torrent) closeContent() {
	t.endJournal(false) // the final save holds what it listed; it goes at the next start
	if c := t.data.Load(); c != nil {
		c.storage.Close()
	}
}

// resumePath names the torrent's resume record after its infohash and the
// directory its data lives in. A seed of a folder and a download of the
// same torrent elsewhere, sharing a state dir (the default), each keep
// their own record; with one record for both, a download killed early
// loaded the seed's record, took its own half-written file for a user's
// edit of a complete file, and "completed" over the wrong bytes. The
// journal, the fast record and the edited-files record are named after it.
func (t *torrent) resumePath() string {
	if t.s.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(t.s.cfg.StateDir, fmt.Sprintf("%x-%s.resume", t.ih[:], dirKey(t.dir)))
}

// dirKey is a short digest of the absolute, cleaned data directory.
func dirKey(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha1.Sum([]byte(filepath.Clean(dir)))
	return hex.EncodeToString(sum[:6])
}

// adoptLegacyResume moves a record saved under the infohash alone (before
// records were named after the data directory too) to resumePath, when it
// is this directory's: every file's size and mtime are exactly those it
// recorded. A record that does not match exactly may be another
// directory's (a seed's, with every piece) and is left alone.
func (t *torrent) adoptLegacyResume(info *pieces.Info, stamps []pieces.FileStamp) {
	p := t.resumePath()
	if p == "" {
		return
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		return
	}
	old := filepath.Join(t.s.cfg.StateDir, fmt.Sprintf("%x.resume", t.ih[:]))
	r, err := loadResume(old, info, t.s.bootID)
	if err != nil || r.InfoHash != t.ih || !stampsEqual(r.Files, stamps) {
		return
	}
	for _, suffix := range []string{"", ".fast", ".journal", ".edited"} {
		if err := os.Rename(old+suffix, p+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.log.Warn("Moving an old resume record failed", "err", err)
		}
	}
	t.log.Info("Resume record renamed after its data directory", "torrent", info.Name)
}

// initialHave also returns the files a user edited (see changed.go and
// changed_record.go): files that lack pieces after the check and are
// recorded as edited (or under re-check when shoal stopped), or were
// complete in the resume record and changed since. Their missing pieces
// are not fetched again.
func (t *torrent) initialHave(ctx context.Context, st *pieces.Storage, info *pieces.Info, stamps []pieces.FileStamp,
	force, trusted bool, progress func(done, total int)) (have pieces.Bitfield, edited []int, current bool, err error) {
	n := info.NumPieces()
	if trusted {
		bf := pieces.NewBitfield(n)
		for i := range n {
			bf.Set(i)
		}
		t.removeEdited() // every piece was just hashed from the files as they are
		return bf, nil, false, nil
	}
	t.adoptLegacyResume(info, stamps)
	if p := t.resumePath(); p != "" {
		r, err := loadResume(p, info, t.s.bootID)
		if err == nil && r.InfoHash != t.ih {
			err = fmt.Errorf("%w: record of another torrent", pieces.ErrBadResume)
		}
		if err == nil {
			listed := t.loadEdited(info)
			keep, recheck := r.Reconcile(info, stamps)
			journal := t.journaled(info, keep, recheck)
			if journal > 0 {
				t.log.Info("Journal adds pieces verified after the resume record", "torrent", info.Name, "pieces", journal)
			}
			recheck = recheckListed(info, listed, keep, recheck)
			if len(recheck) == 0 {
				current := journal == 0 && r.Boot == "" && !r.Writing && stampsEqual(r.Files, stamps) &&
					bytes.Equal(r.Have.Bytes(), keep.Bytes())
				return keep, nil, current, nil
			}
			// shoal wrote these files but some changed since: check those, don't refuse.
			t.log.Info("Resume stamps differ; checking changed files", "torrent", info.Name, "pieces", len(recheck))
			got, err := pieces.CheckPieces(ctx, st, info, recheck, 0, progress)
			t.checked.Add(int64(len(recheck)))
			if err != nil {
				return got, nil, false, fmt.Errorf("check %s: %w", info.Name, err)
			}
			for _, i := range recheck {
				if got.Has(i) {
					keep.Set(i)
				}
			}
			if force {
				// --force: the user asks for the torrent's bytes over an
				// edit too.
				t.removeEdited()
				return keep, nil, false, nil
			}
			return keep, editedAtAdd(info, r, stamps, keep, listed), false, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			t.log.Warn("Resume state unusable; checking", "err", err)
		}
	}
	// No record: an edited-files record would be an earlier, removed copy's.
	t.removeEdited()
	anyExists := false
	for _, fs := range stamps {
		if fs.Size > 0 || !fs.ModTime.IsZero() {
			anyExists = true
		}
	}
	if !anyExists {
		return pieces.NewBitfield(n), nil, false, nil
	}
	have, err = t.check(ctx, st, info, progress)
	if err != nil || force {
		return have, nil, false, err
	}
	for f, fs := range stamps {
		if fs.ModTime.IsZero() || info.Files[f].Length == 0 {
			continue // missing: nothing to overwrite
		}
		first, end := info.PiecesOf(f)
		for i := first; i < end; i++ {
			if !have.Has(i) {
				return have, nil, false, fmt.Errorf("%s: %w (use force to overwrite)", filePath(info, f), ErrExistingData)
			}
		}
	}
	return have, nil, false, nil
}

func (t *torrent) check(ctx context.Context, st *pieces.Storage, info *pieces.Info, progress func(done, total int)) (pieces.Bitfield, error) {
	have, err := pieces.Check(ctx, st, info, 0, progress)
	t.checked.Add(int64(info.NumPieces()))
	if err != nil {
		return have, fmt.Errorf("check %s: %w", info.Name, err)
	}
	return have, nil
}

func stampsEqual(a, b []pieces.FileStamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Size != b[i].Size || !a[i].ModTime.Equal(b[i].ModTime) {
			return false
		}
	}
	return true
}

func filePath(info *pieces.Info, f int) string {
	p := info.Name
	for _, c := range info.Files[f].Path {
		p += "/" + c
	}
	return p
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

// loadResume prefers the fast record, saved every tick without syncing the
// data, when it was saved in this boot of the machine: only a crash of the
// machine can lose what it claims. Otherwise, the last durable record.
func loadResume(path string, info *pieces.Info, bootID string) (*pieces.Resume, error) {
	if bootID != "" {
		r, err := pieces.LoadResume(fastPath(path), info)
		if err == nil && r.Boot == bootID {
			return r, nil
		}
	}
	return pieces.LoadResume(path, info)
}
