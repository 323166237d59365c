package swarm

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Resume records (pieces.Resume): the torrent's goroutine decides when to
// save (each tick while pieces complete, at completion, at shutdown) and
// what the record holds; the write itself runs on a worker except at
// completion and shutdown. The journal (journal.go) covers what verified
// since.

// resumeState is the torrent's side of its resume record. The loop owns
// it, except mu and written, which serialize the loop's saves with the one
// background save that may run (saveResumeAsync).
type resumeState struct {
	dirty       bool            // pieces verified or withdrawn since the last save
	current     bool            // no save since adopt found the durable record current: shutdown skips it
	saving      bool            // a background save runs
	seq         int64           // saves started
	journal     *pieces.Journal // pieces verified since the last record (journal.go)
	lastDurable time.Time       // when a save last synced the data
	mu          sync.Mutex      // serializes resume writes
	written     int64           // guarded by mu: newest save written
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
	t.res.current = false
	t.res.seq++
	if err := t.writeResume(c, p, haveBitfield(c), writing, t.res.seq, true); err != nil {
		t.log.Warn("Saving resume state failed", "err", err)
		return
	}
	t.res.dirty = false
}

// saveResumeAsync saves the resume record on a goroutine: the fsync it
// starts with can take seconds under a fast download, and the torrent's
// goroutine must keep feeding the pipelines meanwhile. One save at a time;
// while one runs, later calls are skipped (the record stays dirty).
func (t *torrent) saveResumeAsync() {
	c := t.data.Load()
	p := t.resumePath()
	if c == nil || p == "" || t.res.saving {
		return
	}
	t.res.saving = true
	t.res.current = false
	have := haveBitfield(c) // taken here: the actor owns the piece states
	writing := !t.completed
	t.res.dirty = false
	t.res.seq++
	seq := t.res.seq
	// Syncing gigabytes of fresh data every tick would pace a fast download
	// at the disk's flush speed. Most ticks write a fast record instead,
	// good against a killed process; a durable one follows every
	// durableResumeEvery, and at completion and shutdown.
	durable := t.s.bootID == "" || time.Since(t.res.lastDurable) >= durableResumeEvery
	if durable {
		t.res.lastDurable = time.Now()
	}
	t.wg.Go(func() {
		if err := t.writeResume(c, p, have, writing, seq, durable); err != nil {
			t.log.Warn("Saving resume state failed", "err", err)
		}
		t.results <- func() { t.res.saving = false }
	})
}

// writeResume saves a record of have. A durable save syncs the data first,
// so the record never claims pieces a crash of the machine could lose, and
// then drops the fast record; a fast one goes to fastPath(path), marked
// with the boot id it is good for. Saves are serialized, and one older
// (seq) than the last written is dropped.
func (t *torrent) writeResume(c *content, path string, have pieces.Bitfield, writing bool, seq int64, durable bool) error {
	t.res.mu.Lock()
	defer t.res.mu.Unlock()
	if seq <= t.res.written {
		return nil
	}
	t.res.written = seq
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
