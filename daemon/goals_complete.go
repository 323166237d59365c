package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/shoal-bt/shoal/swarm"
)

// RunCompleteDir moves each torrent that finishes downloading into dir
// (complete_dir), until ctx ends. A torrent counts as finished when every
// wanted piece passed its hash and, for torrents carrying them, every
// file its BLAKE3 digest; torrents seeded from data already on disk are
// not moved. The move is a rename, so dir must be on the same file system
// as the download folder; where it is not, or the name is taken in dir,
// the data stays where it is and the reason is logged (nothing in dir is
// overwritten).
func (d *Daemon) RunCompleteDir(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("complete_dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("complete_dir: %w", err)
	}
	evs, stop := d.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-evs:
			if ev.Kind != swarm.EventCompleted && ev.Kind != swarm.EventVerified {
				continue
			}
			t := d.snapshotOf(ev.InfoHash)
			if t == nil || !t.Verified || t.Downloaded == 0 || t.DataDir == abs {
				continue
			}
			if err := d.moveData(ctx, ev.InfoHash, t, abs); err != nil {
				d.log.Warn("Could not move a completed torrent to complete_dir; its data stays", "ih", hexOf(ev.InfoHash)[:8],
					"name", t.Name, "err", err)
			} else {
				d.log.Info("Moved a completed torrent", "ih", hexOf(ev.InfoHash)[:8], "name", t.Name, "to", abs)
			}
		}
	}
}

// moveData takes the torrent out of the engine (keeping its number),
// renames its data into dir, and adds it back from there, as the library
// has it but for the folder. If the rename fails it comes back where it
// was.
func (d *Daemon) moveData(ctx context.Context, ih swarm.InfoHash, t *swarm.TorrentSnapshot, dir string) error {
	if t.Name == "" || t.Name != filepath.Base(t.Name) || t.Name == ".." {
		return fmt.Errorf("torrent name %q is no single path element", t.Name)
	}
	from, to := filepath.Join(t.DataDir, t.Name), filepath.Join(dir, t.Name)
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("%s already exists; not overwritten", to)
	}
	entries, err := d.lib.Load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(entries, func(e Entry) bool { return e.InfoHash == hexOf(ih) })
	if i < 0 {
		return fmt.Errorf("not in the library")
	}
	add, err := entries[i].Options()
	if err != nil {
		return err
	}
	if err := d.s.Remove(ih, false); err != nil {
		return err
	}
	moveErr := os.Rename(from, to)
	if moveErr == nil {
		add.Dir = dir
		// Skipped files' bytes in pieces shared with the others go along.
		part := swarm.PartFileName(ih)
		if err := os.Rename(filepath.Join(t.DataDir, part), filepath.Join(dir, part)); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Warn("Moving the part file failed", "err", err)
		}
	} else if errors.Is(moveErr, os.ErrNotExist) {
		moveErr = fmt.Errorf("%s is gone: %w", from, moveErr)
	}
	if _, err := d.s.Add(ctx, add); err != nil {
		return errors.Join(moveErr, fmt.Errorf("add again from %s: %w", add.Dir, err))
	}
	if moveErr != nil {
		return moveErr
	}
	d.remembered(d.lib.Remember(add))
	return nil
}
