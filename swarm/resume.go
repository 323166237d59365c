package swarm

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Resume records (pieces.Resume), owned by the content: the torrent's
// loop says when to save (each tick while pieces complete, at completion,
// at shutdown); the write itself runs on a worker except at completion
// and shutdown. The journal (journal.go) covers what verified since.

// resumeState is the content's side of its resume record. The torrent's
// loop alone calls the methods that use it, except mu and written, which
// serialize the loop's saves with the one background save that may run
// (resumeJob).
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

// saveResume saves the record now, durably. writing says the disk
// goroutines may still write after the stamps it takes; at completion and
// at shutdown (writers gone) they are final.
func (c *content) saveResume(writing bool) {
	p := c.env.resumePath
	if p == "" {
		return
	}
	c.res.current = false
	c.res.seq++
	if err := c.writeResume(p, haveBitfield(c), writing, c.res.seq, true); err != nil {
		c.env.log.Warn("Saving resume state failed", "err", err)
		return
	}
	c.res.dirty = false
}

// resumeJob prepares a save for a worker: the fsync a durable one starts
// with can take seconds under a fast download, and the torrent's loop
// must keep feeding the pipelines meanwhile. One save at a time: while one
// runs (until savedAsync), it returns nil and the record stays dirty.
func (c *content) resumeJob(writing bool) func() {
	p := c.env.resumePath
	if p == "" || c.res.saving {
		return nil
	}
	c.res.saving = true
	c.res.current = false
	have := haveBitfield(c) // taken here: the loop owns the piece states
	c.res.dirty = false
	c.res.seq++
	seq := c.res.seq
	// Syncing gigabytes of fresh data every tick would pace a fast download
	// at the disk's flush speed. Most ticks write a fast record instead,
	// good against a killed process; a durable one follows every
	// durableResumeEvery, and at completion and shutdown.
	durable := c.env.bootID == "" || time.Since(c.res.lastDurable) >= durableResumeEvery
	if durable {
		c.res.lastDurable = time.Now()
	}
	return func() {
		if err := c.writeResume(p, have, writing, seq, durable); err != nil {
			c.env.log.Warn("Saving resume state failed", "err", err)
		}
	}
}

// savedAsync: the save resumeJob prepared is written. On the loop.
func (c *content) savedAsync() { c.res.saving = false }

// writeResume saves a record of have. A durable save syncs the data first,
// so the record never claims pieces a crash of the machine could lose, and
// then drops the fast record; a fast one goes to fastPath(path), marked
// with the boot id it is good for. Saves are serialized, and one older
// (seq) than the last written is dropped.
func (c *content) writeResume(path string, have pieces.Bitfield, writing bool, seq int64, durable bool) error {
	c.res.mu.Lock()
	defer c.res.mu.Unlock()
	if seq <= c.res.written {
		return nil
	}
	c.res.written = seq
	if h := c.env.hooks.resumeSave; h != nil {
		h()
	}
	if durable {
		if err := c.storage.Sync(); err != nil {
			c.env.log.Warn("Sync failed", "err", err)
		}
	}
	stamps, err := pieces.Stamp(c.env.dir, c.info)
	if err != nil {
		return fmt.Errorf("stat files: %w", err)
	}
	r := &pieces.Resume{InfoHash: c.env.ih, Have: have, Files: stamps, Writing: writing}
	if !durable {
		r.Boot = c.env.bootID
		return pieces.SaveResume(fastPath(path), r)
	}
	if err := pieces.SaveResume(path, r); err != nil {
		return err
	}
	if err := os.Remove(fastPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.env.log.Warn("Removing the fast resume record failed", "err", err)
	}
	return nil
}

func fastPath(resumePath string) string { return resumePath + ".fast" }
