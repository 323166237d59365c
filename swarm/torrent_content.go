package swarm

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// setContent opens the storage of tor and decides which pieces we have:
// all (trusted), from the resume file (stamps match), or by a check.
// Existing files shoal did not write must match unless force.
func (t *torrent) setContent(ctx context.Context, tor *pieces.Torrent, force, trusted bool) error {
	info := tor.Info
	name := info.Name
	t.nameAt.Store(&name)
	t.private.Store(info.Private)
	st, err := pieces.OpenStorage(t.dir, info)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	c := &content{tor: tor, info: info, storage: st, have: make([]atomic.Uint64, (info.NumPieces()+63)/64)}
	for k := range diskShards {
		c.disk[k] = make(chan diskBlock, 256)
		c.hashReq[k] = make(chan int, info.NumPieces())
	}
	stamps, err := pieces.Stamp(t.dir, info)
	if err != nil {
		st.Close()
		return fmt.Errorf("stat files: %w", err)
	}
	have, edited, err := t.initialHave(ctx, st, info, stamps, force, trusted)
	if err != nil {
		st.Close()
		return err
	}
	t.picker = pieces.NewPicker(info.NumPieces(), info.PieceLength, info.Length, uint64(time.Now().UnixNano()))
	t.filePrio = make([]Priority, len(info.Files))
	copy(t.filePrio, t.opts.Priorities)
	t.applyPriorities()
	for i := range info.NumPieces() {
		if have.Has(i) {
			c.setHave(i)
			t.picker.SetHave(i)
		}
	}
	t.data.Store(c)
	for f, st := range stamps {
		if fi := info.Files[f]; !fi.Padding && fi.Length > 0 && fileComplete(c, f) {
			c.storage.Guard(f, st) // its pieces are verified at this stamp
		}
	}
	if len(edited) > 0 {
		t.restoreEdited(c, stamps, edited)
	}
	t.completed = t.picker.Done()
	t.completedA.Store(t.completed)
	// Pieces on disk passed their hashes before; a file edited since
	// leaves wanted pieces missing, and the torrent unverified.
	t.verified.Store(t.completed && t.lostToEdits(c) == 0)
	t.digestsOK.Store(t.verified.Load())
	if t.completed {
		t.seedStamps = stamps // what withdrawChangedFiles compares against
	}
	t.state = StateDownloading
	if t.completed {
		t.state = StateSeeding
	}
	if t.paused {
		t.state = StatePaused
	}
	t.resumeDirt = true
	if !t.completed {
		// A record before the first write: a crash before the first
		// periodic save then resumes instead of finding files it did not
		// write (ErrExistingData).
		t.saveResume()
		t.startJournal()
	}
	return nil
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
	force, trusted bool) (pieces.Bitfield, []int, error) {
	n := info.NumPieces()
	if trusted {
		bf := pieces.NewBitfield(n)
		for i := range n {
			bf.Set(i)
		}
		t.removeEdited() // every piece was just hashed from the files as they are
		return bf, nil, nil
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
			if n := t.journaled(info, keep, recheck); n > 0 {
				t.log.Info("Journal adds pieces verified after the resume record", "torrent", info.Name, "pieces", n)
			}
			recheck = recheckListed(info, listed, keep, recheck)
			if len(recheck) == 0 {
				return keep, nil, nil
			}
			// shoal wrote these files but some changed since: check those, don't refuse.
			t.log.Info("Resume stamps differ; checking changed files", "torrent", info.Name, "pieces", len(recheck))
			got, err := pieces.CheckPieces(ctx, st, info, recheck, 0, nil)
			t.checked.Add(int64(len(recheck)))
			if err != nil {
				return got, nil, fmt.Errorf("check %s: %w", info.Name, err)
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
				return keep, nil, nil
			}
			return keep, editedAtAdd(info, r, stamps, keep, listed), nil
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
		return pieces.NewBitfield(n), nil, nil
	}
	have, err := t.check(ctx, st, info)
	if err != nil || force {
		return have, nil, err
	}
	for f, fs := range stamps {
		if fs.ModTime.IsZero() || info.Files[f].Length == 0 {
			continue // missing: nothing to overwrite
		}
		first, end := info.PiecesOf(f)
		for i := first; i < end; i++ {
			if !have.Has(i) {
				return have, nil, fmt.Errorf("%s: %w (use force to overwrite)", filePath(info, f), ErrExistingData)
			}
		}
	}
	return have, nil, nil
}

func (t *torrent) check(ctx context.Context, st *pieces.Storage, info *pieces.Info) (pieces.Bitfield, error) {
	have, err := pieces.Check(ctx, st, info, 0, nil)
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
