package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-bt/shoal/pieces"
)

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
	prio    []Priority // the files' first priorities (firstPriorities)
	err     error
	magnet  bool // the info dict came from peers
	reuse   reuseReport
	reply   chan error // Add waits for the outcome here; nil for a magnet
}

// openContent opens the storage of tor and decides which pieces we have:
// all (trusted), from the resume file (stamps match), or by a check.
// Existing files shoal did not write must match unless force. It runs on
// the open worker, with what env says of the torrent; progress reports
// the check's.
func openContent(ctx context.Context, env contentEnv, tor *pieces.Torrent, force, trusted bool,
	progress func(done, total int)) opened {
	info := tor.Info
	o := opened{tor: tor}
	var err error
	if o.prio, err = firstPriorities(info, env.prios, env.sel, env.so); err != nil {
		o.err = fmt.Errorf("%s: %w", info.Name, err)
		return o
	}
	o.reuse = reuseReport{placed: make([]bool, len(info.Files))}
	if !trusted {
		// Before the storage opens its folder: a placed file is then
		// checked with the rest.
		o.reuse = reuseFiles(ctx, env, info, o.prio)
	}
	st, err := pieces.OpenStorage(env.dir, info)
	if err != nil {
		o.err = fmt.Errorf("open %s: %w", info.Name, err)
		return o
	}
	if err := partSkipped(st, info, env.ih, o.prio); err != nil {
		st.Close()
		o.err = fmt.Errorf("open %s: %w", info.Name, err)
		return o
	}
	o.stamps, err = pieces.Stamp(env.dir, info)
	if err != nil {
		st.Close()
		o.err = fmt.Errorf("stat files: %w", err)
		return o
	}
	c := newContent(env, tor, st)
	o.have, o.edited, o.current, err = c.initialHave(ctx, o.stamps, force, trusted, o.reuse.placed, progress)
	if err != nil {
		st.Close()
		o.err = err
		return o
	}
	if !trusted {
		o.reuse.count(c, o.have, o.prio)
	}
	c.ready(ctx, o)
	o.c = c
	return o
}

// ready finishes the content on the open worker, while it is still the
// worker's alone: the verified bits, the guards of complete files, the
// marks and record of files the user edited, and, unless the durable
// record is current or every piece is here, a record and a journal before
// the first write, so that a crash before the first periodic save resumes
// instead of finding files shoal did not write (ErrExistingData). The
// torrent's loop goes on serving peers meanwhile; adopt does no disk work.
func (c *content) ready(ctx context.Context, o opened) {
	info := c.info
	for i := range info.NumPieces() {
		if o.have.Has(i) {
			c.setHave(i)
		}
	}
	for f, st := range o.stamps {
		if fi := info.Files[f]; !fi.Padding && fi.Length > 0 && fileComplete(c, f) {
			c.storage.Guard(f, st) // its pieces are verified at this stamp
		}
	}
	for _, f := range o.edited {
		c.storage.Rechecked(f, o.stamps[f], true)
	}
	if len(o.edited) > 0 {
		c.saveEdited()
	}
	if !o.current && !allHave(c) {
		c.saveResume(ctx.Err() == nil)
		c.startJournal()
	}
}

// adoptLegacyResume moves a record saved under the infohash alone (before
// records were named after the data directory too) to resumePath, when it
// is this directory's: every file's size and mtime are exactly those it
// recorded. A record that does not match exactly may be another
// directory's (a seed's, with every piece) and is left alone.
func (c *content) adoptLegacyResume(stamps []pieces.FileStamp) {
	p := c.env.resumePath
	if p == "" {
		return
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		return
	}
	old := filepath.Join(c.env.stateDir, fmt.Sprintf("%x.resume", c.env.ih[:]))
	r, err := loadResume(old, c.info, c.env.bootID)
	if err != nil || r.InfoHash != c.env.ih || !stampsEqual(r.Files, stamps) {
		return
	}
	for _, suffix := range []string{"", ".fast", ".journal", ".edited"} {
		if err := os.Rename(old+suffix, p+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.env.log.Warn("Moving an old resume record failed", "err", err)
		}
	}
	c.env.log.Info("Resume record renamed after its data directory", "torrent", c.info.Name)
}

// initialHave also returns the files a user edited (see changed.go and
// changed_record.go): files that lack pieces after the check and are
// recorded as edited (or under re-check when shoal stopped), or were
// complete in the resume record and changed since. Their missing pieces
// are not fetched again.
// Files placed by the reuse pass are shoal's: pieces of them that fail are
// fetched, not refused as a user's file.
func (c *content) initialHave(ctx context.Context, stamps []pieces.FileStamp, force, trusted bool, placed []bool,
	progress func(done, total int)) (have pieces.Bitfield, edited []int, current bool, err error) {
	info, st := c.info, c.storage
	n := info.NumPieces()
	if trusted {
		bf := pieces.NewBitfield(n)
		for i := range n {
			bf.Set(i)
		}
		c.removeEdited() // every piece was just hashed from the files as they are
		return bf, nil, false, nil
	}
	c.adoptLegacyResume(stamps)
	if p := c.env.resumePath; p != "" {
		r, err := loadResume(p, info, c.env.bootID)
		if err == nil && r.InfoHash != c.env.ih {
			err = fmt.Errorf("%w: record of another torrent", pieces.ErrBadResume)
		}
		if err == nil {
			listed := c.loadEdited()
			keep, recheck := r.Reconcile(info, stamps)
			journal := c.journaled(keep, recheck)
			if journal > 0 {
				c.env.log.Info("Journal adds pieces verified after the resume record", "torrent", info.Name, "pieces", journal)
			}
			recheck = recheckListed(info, listed, keep, recheck)
			if len(recheck) == 0 {
				current := journal == 0 && r.Boot == "" && !r.Writing && stampsEqual(r.Files, stamps) &&
					bytes.Equal(r.Have.Bytes(), keep.Bytes())
				return keep, nil, current, nil
			}
			// shoal wrote these files but some changed since: check those, don't refuse.
			c.env.log.Info("Resume stamps differ; checking changed files", "torrent", info.Name, "pieces", len(recheck))
			got, err := pieces.CheckTorrent(ctx, st, c.tor, recheck, 0, progress)
			c.checked.Add(int64(len(recheck)))
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
				c.removeEdited()
				return keep, nil, false, nil
			}
			return keep, editedAtAdd(info, r, stamps, keep, listed), false, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			c.env.log.Warn("Resume state unusable; checking", "err", err)
		}
	}
	// No record: an edited-files record would be an earlier, removed copy's.
	c.removeEdited()
	anyExists := false
	for _, fs := range stamps {
		if fs.Size > 0 || !fs.ModTime.IsZero() {
			anyExists = true
		}
	}
	if !anyExists {
		return pieces.NewBitfield(n), nil, false, nil
	}
	have, err = pieces.CheckTorrent(ctx, st, c.tor, nil, 0, progress)
	c.checked.Add(int64(n))
	if err != nil {
		return have, nil, false, fmt.Errorf("check %s: %w", info.Name, err)
	}
	if force {
		return have, nil, false, nil
	}
	for f, fs := range stamps {
		if fs.ModTime.IsZero() || info.Files[f].Length == 0 || placed[f] {
			continue // missing (or put there by shoal): nothing to overwrite
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
