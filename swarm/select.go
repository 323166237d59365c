package swarm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-bt/shoal/pieces"
)

// partFileName is where a torrent keeps the bytes of its skipped files that
// share a piece with a wanted file (pieces.Storage's part file): one hidden
// file in the download directory per torrent, so that a skipped file never
// appears on disk.
func partFileName(ih InfoHash) string { return fmt.Sprintf(".shoal-%x.parts", ih[:]) }

// partSkipped tells new storage which files start skipped (prios, those
// given at Add), before the check reads them: the shared pieces of those
// files are read from the part file. It runs on the open worker.
func partSkipped(st *pieces.Storage, info *pieces.Info, ih InfoHash, prios []Priority) error {
	if err := st.SetPartFile(partFileName(ih)); err != nil {
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
	err := os.Remove(filepath.Join(t.dir, partFileName(t.ih)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
