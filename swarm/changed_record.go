package swarm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/shoal-bt/shoal/internal/atomicfile"
	"github.com/shoal-bt/shoal/pieces"
)

// The files a user edited under a seed, or that a re-check was looking at,
// kept next to the resume record: the record lacks their pieces, and
// without this a restart would see wanted pieces missing and download them
// over the user's file. At the next add their missing pieces are hashed
// again (the edit may have been undone, or the re-check not finished) and
// the pieces that still do not match stay unwanted.

type editedRecord struct {
	Files []int `json:"files"` // into Info.Files
}

func editedPath(resumePath string) string { return resumePath + ".edited" }

// saveEdited records the files now changed or edited; none removes the
// record. Runs on the torrent's goroutine, once per change found.
func (c *content) saveEdited() {
	p := c.env.resumePath
	if p == "" {
		return
	}
	changed, edited := c.storage.Flagged()
	var rec editedRecord
	for _, f := range append(changed, edited...) {
		if st, err := c.storage.StatFile(f); err == nil && st.Size >= 0 { // a deleted file is nobody's edit
			rec.Files = append(rec.Files, f)
		}
	}
	slices.Sort(rec.Files)
	rec.Files = slices.Compact(rec.Files)
	if len(rec.Files) == 0 {
		c.removeEdited()
		return
	}
	b, err := json.Marshal(rec)
	if err == nil {
		err = atomicfile.Write(editedPath(p), b, 0o644, true)
	}
	if err != nil {
		c.env.log.Warn("Saving the edited-files record failed", "err", err)
	}
}

func (c *content) removeEdited() {
	if p := c.env.resumePath; p != "" {
		if err := os.Remove(editedPath(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.env.log.Warn("Removing the edited-files record failed", "err", err)
		}
	}
}

// loadEdited returns the recorded files.
func (c *content) loadEdited() []int {
	info := c.info
	p := c.env.resumePath
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(editedPath(p))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.env.log.Warn("Edited-files record unreadable", "err", err)
		}
		return nil
	}
	var rec editedRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		c.env.log.Warn("Edited-files record unusable", "err", fmt.Errorf("%s: %w", editedPath(p), err))
		return nil
	}
	var out []int
	for _, f := range rec.Files {
		if f >= 0 && f < len(info.Files) {
			out = append(out, f)
		}
	}
	return out
}

// recheckListed adds to recheck the missing pieces of the recorded files.
func recheckListed(info *pieces.Info, listed []int, keep pieces.Bitfield, recheck []pieces.Index) []pieces.Index {
	in := map[pieces.Index]bool{}
	for _, i := range recheck {
		in[i] = true
	}
	for _, f := range listed {
		first, end := info.PiecesOf(f)
		for i := first; i < end; i++ {
			if !keep.Has(i) && !in[i] {
				in[i] = true
				recheck = append(recheck, i)
			}
		}
	}
	return recheck
}

// editedAtAdd names the files whose missing pieces are a user's edit, not
// data to fetch again: files that exist, lack pieces after the check, and
// either are recorded (edited or under re-check when shoal stopped) or
// were complete in the resume record and changed since.
func editedAtAdd(info *pieces.Info, r *pieces.Resume, stamps []pieces.FileStamp, have pieces.Bitfield, listed []int) []int {
	var out []int
	for f, fi := range info.Files {
		if fi.Padding || fi.Length == 0 || stamps[f].Size < 0 {
			continue
		}
		first, end := info.PiecesOf(f)
		wasComplete, lacks := true, false
		for i := first; i < end; i++ {
			wasComplete = wasComplete && r.Have.Has(i)
			lacks = lacks || !have.Has(i)
		}
		changed := !stamps[f].Equal(r.Files[f])
		if lacks && (slices.Contains(listed, f) || wasComplete && changed) {
			out = append(out, f)
		}
	}
	return out
}

// restoreEdited tells of the edited files found at add, which the open
// worker marked (content.ready): their pieces that match are served, the
// rest are not wanted. On the torrent's goroutine, in adopt.
func (t *torrent) restoreEdited(c *content, edited []int) {
	for _, f := range edited {
		first, end := c.info.PiecesOf(f)
		lost := 0
		for i := first; i < end; i++ {
			if !c.has(i) {
				lost++
			}
		}
		path := filePath(c.info, f)
		t.log.Warn("File edited on disk; its changed pieces are not fetched again", "file", path, "lost", lost, "pieces", end-first)
		t.s.emit(Event{Kind: EventDataChanged, InfoHash: t.ih, Name: t.name(),
			Msg: fmt.Sprintf("%s changed on disk: %d of %d pieces no longer match; not re-downloading over your edit", path, lost, end-first)})
	}
}
