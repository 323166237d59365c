package swarm

import (
	"cmp"
	"context"
	"slices"

	"github.com/shoal-bt/shoal/pieces"
)

// defaultRestartDigestBytes is Config.RestartDigestBytes when zero: about
// a second of reading from a fast disk, and often from the page cache.
const defaultRestartDigestBytes = 1 << 30

// startDigestCheck begins, after a restart that trusted the files' stamps,
// a background check of the cheapest files against their BLAKE3 digests:
// an edit that kept the size and mtime (touch -r, rsync -t) fools the
// stamps but not the digest. Seeding does not wait for it; a file that
// fails goes through fileChanged like any other change.
func (t *torrent) startDigestCheck(ctx context.Context, c *content) {
	budget := t.s.cfg.RestartDigestBytes
	// Trusted content was just hashed by Create, and a full check at add
	// hashed every piece: only stamps leave something to doubt.
	if budget < 0 || !t.completed || t.opts.Trusted || !hasBlake3(c.info) || t.checked.Load() >= int64(c.info.NumPieces()) {
		return
	}
	if budget == 0 {
		budget = defaultRestartDigestBytes
	}
	var files []int
	for f, fi := range c.info.Files {
		if fi.Blake3 != nil && !fi.Padding && fi.Length > 0 && fi.Length <= budget && fileComplete(c, f) {
			files = append(files, f)
		}
	}
	// Smallest first: the most files for the budget.
	slices.SortStableFunc(files, func(a, b int) int { return cmp.Compare(c.info.Files[a].Length, c.info.Files[b].Length) })
	var total int64
	for k, f := range files {
		if total+c.info.Files[f].Length > budget {
			files = files[:k]
			break
		}
		total += c.info.Files[f].Length
	}
	if len(files) == 0 {
		return
	}
	t.wg.Go(func() { t.checkDigests(ctx, c, files, total) })
}

// digestHook, when set (tests only), runs before each file of the pass.
var digestHook func(ctx context.Context, file int)

func (t *torrent) checkDigests(ctx context.Context, c *content, files []int, total int64) {
	t.log.Debug("Checking BLAKE3 digests after restart", "files", len(files), "bytes", total)
	bad := 0
	for _, f := range files {
		if digestHook != nil {
			digestHook(ctx, f)
		}
		if c.storage.Changed(f) {
			continue // a re-check hashes it already
		}
		r, err := pieces.VerifyFileBlake3(ctx, c.storage, c.info, f)
		if err != nil {
			return // cancelled
		}
		if r.OK {
			continue
		}
		bad++
		select {
		case t.cmds <- func() { t.fileChanged(c, f, "its BLAKE3 digest does not match") }:
		case <-ctx.Done():
			return
		}
	}
	t.log.Info("Checked BLAKE3 digests after restart", "files", len(files), "bytes", total, "mismatched", bad)
}
