package swarm

import (
	"errors"
	"os"

	"github.com/shoal-bt/shoal/pieces"
)

// The journal (pieces.Journal) lists the pieces verified since the last
// resume record, so a killed process loses only the pieces in flight, not
// those verified in the half second before the next fast record.

func journalPath(resumePath string) string { return resumePath + ".journal" }

// journaled adds to keep the pieces the journal lists, unless Reconcile
// sent them for a re-check (their file changed in a way our own writes
// would not explain). Only a journal of this boot counts.
func (t *torrent) journaled(info *pieces.Info, keep pieces.Bitfield, recheck []pieces.Index) int {
	p := t.resumePath()
	if p == "" || t.s.bootID == "" {
		return 0
	}
	idx, err := pieces.ReadJournal(journalPath(p), t.s.bootID, info.NumPieces())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, pieces.ErrJournalOtherBoot) {
			t.log.Warn("Journal unusable; relying on the resume record", "err", err)
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
func (t *torrent) startJournal() {
	p := t.resumePath()
	if p == "" || t.s.bootID == "" || t.completed {
		return
	}
	j, err := pieces.CreateJournal(journalPath(p), t.s.bootID)
	if err != nil {
		t.log.Warn("Journal not started; a crash may cost pieces verified since the last save", "err", err)
		return
	}
	t.res.journal = j
}

// journalAdd notes a verified piece. A failed write only narrows the
// guarantee back to the fast record's, so it stops the journal, not the
// download.
func (t *torrent) journalAdd(i pieces.Index) {
	if t.res.journal == nil {
		return
	}
	if err := t.res.journal.Add(i); err != nil {
		t.log.Warn("Journal write failed; stopping it", "err", err)
		t.res.journal.Close()
		t.res.journal = nil
	}
}

// endJournal closes the journal; with remove, a durable record now holds
// all it listed and the file goes too.
func (t *torrent) endJournal(remove bool) {
	if t.res.journal != nil {
		t.res.journal.Close()
		t.res.journal = nil
	}
	if p := t.resumePath(); remove && p != "" {
		if err := os.Remove(journalPath(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.log.Warn("Removing the journal failed", "err", err)
		}
	}
}
