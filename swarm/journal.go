package swarm

import (
	"errors"
	"os"

	"github.com/shoal-bt/shoal/pieces"
)

// The journal (pieces.Journal) lists the pieces verified since the last
// resume record, so a killed process loses only the pieces in flight, not
// those verified in the half second before the next fast record. The
// content owns it; the torrent's loop calls these methods.

func journalPath(resumePath string) string { return resumePath + ".journal" }

// journaled adds to keep the pieces the journal lists, unless Reconcile
// sent them for a re-check (their file changed in a way our own writes
// would not explain). Only a journal of this boot counts. On the open
// worker.
func (c *content) journaled(keep pieces.Bitfield, recheck []pieces.Index) int {
	p := c.env.resumePath
	if p == "" || c.env.bootID == "" {
		return 0
	}
	idx, err := pieces.ReadJournal(journalPath(p), c.env.bootID, c.info.NumPieces())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, pieces.ErrJournalOtherBoot) {
			c.env.log.Warn("Journal unusable; relying on the resume record", "err", err)
		}
		return 0
	}
	suspect := make(map[pieces.Index]bool, len(recheck))
	for _, i := range recheck {
		suspect[i] = true
	}
	n := 0
	for _, i := range idx {
		if !suspect[i] && !keep.Has(i) {
			keep.Set(i)
			n++
		}
	}
	return n
}

// startJournal begins a fresh journal. The record saved just before it
// holds everything the old journal listed.
func (c *content) startJournal() {
	p := c.env.resumePath
	if p == "" || c.env.bootID == "" {
		return
	}
	j, err := pieces.CreateJournal(journalPath(p), c.env.bootID)
	if err != nil {
		c.env.log.Warn("Journal not started; a crash may cost pieces verified since the last save", "err", err)
		return
	}
	c.res.journal = j
}

// journalAdd notes a verified piece. A failed write only narrows the
// guarantee back to the fast record's, so it stops the journal, not the
// download.
func (c *content) journalAdd(i pieces.Index) {
	if c.res.journal == nil {
		return
	}
	if err := c.res.journal.Add(i); err != nil {
		c.env.log.Warn("Journal write failed; stopping it", "err", err)
		c.res.journal.Close()
		c.res.journal = nil
	}
}

// endJournal closes the journal; with remove, a durable record now holds
// all it listed and the file goes too.
func (c *content) endJournal(remove bool) {
	if c.res.journal != nil {
		c.res.journal.Close()
		c.res.journal = nil
	}
	if p := c.env.resumePath; remove && p != "" {
		if err := os.Remove(journalPath(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.env.log.Warn("Removing the journal failed", "err", err)
		}
	}
}
