package swarm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-bt/shoal/pieces"
)

// PartFileName is where a torrent keeps the bytes of its skipped files that
// share a piece with a wanted file (pieces.Storage's part file): one hidden
// file in the download directory per torrent, so that a skipped file never
// appears on disk.
func PartFileName(ih InfoHash) string { return fmt.Sprintf(".shoal-%x.parts", ih[:]) }

// firstPriorities are the files' first priorities: prios
// (AddOptions.Priorities), or else what sel (AddOptions.Select) or else a
// magnet's so= wants. Priorities win: a restored torrent carries both the
// selection it was added with and the priorities the user set since. It
// runs on the open worker.
func firstPriorities(info *pieces.Info, prios []Priority, sel *pieces.Selection, so []int) ([]Priority, error) {
	if prios != nil {
		return prios, nil
	}
	if sel == nil && so != nil {
		// so= is the link's suggestion: numbers past the file list (or
		// of pad files) are dropped rather than failing the download.
		var files []int
		for _, k := range so {
			if k < len(info.Files) && !info.Files[k].Padding {
				files = append(files, k)
			}
		}
		if len(files) > 0 {
			sel = &pieces.Selection{Files: files}
		}
	}
	if sel == nil {
		return nil, nil
	}
	want, err := sel.Wanted(info)
	if err != nil {
		return nil, err
	}
	prio := make([]Priority, len(info.Files))
	for k, w := range want {
		if !w {
			prio[k] = PrioritySkip
		}
	}
	return prio, nil
}

func soOf(m *pieces.Magnet) []int {
	if m == nil {
		return nil
	}
	return m.Select
}

// partSkipped tells new storage which files start skipped (prios, from
// firstPriorities), before the check reads them: the shared pieces of those
// files are read from the part file. It runs on the open worker.
func partSkipped(st *pieces.Storage, info *pieces.Info, ih InfoHash, prios []Priority) error {
	if err := st.SetPartFile(PartFileName(ih)); err != nil {
		return err
	}
	for f, p := range prios {
		if p == PrioritySkip && f < len(info.Files) {
			if err := st.SetSkipped(f, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// removePartFile deletes the part file with the torrent's data.
func (t *torrent) removePartFile() error {
	err := os.Remove(filepath.Join(t.dir, PartFileName(t.ih)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
