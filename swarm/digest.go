package swarm

import (
	"cmp"
	"context"
	"fmt"
	"maps"
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
	if !t.completed || t.opts.Trusted {
		return // trusted content was just hashed by Create
	}
	files, total := c.restartDigestFiles()
	if len(files) == 0 {
		return
	}
	report := func(f int) bool {
		select {
		case t.cmds <- func() { t.fileChanged(c, f, "its BLAKE3 digest does not match") }:
			return true
		case <-ctx.Done():
			return false
		}
	}
	t.wg.Go(func() { c.checkDigests(ctx, files, total, report) })
}

// restartDigestFiles picks the files a restarted complete seed checks
// against their BLAKE3 digests, within Config.RestartDigestBytes.
func (c *content) restartDigestFiles() ([]int, int64) {
	budget := c.env.digestBytes
	// A full check at add hashed every piece: only stamps leave something
	// to doubt.
	if budget < 0 || !hasBlake3(c.info) || c.checked.Load() >= int64(c.info.NumPieces()) {
		return nil, 0
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
	return files, total
}

// digestHook, when set (tests only), runs before each file of the pass.
var digestHook func(ctx context.Context, file int)

// checkDigests runs the restart pass on a worker; report takes each file
// that fails (false: stop, the torrent is stopping).
func (c *content) checkDigests(ctx context.Context, files []int, total int64, report func(f int) bool) {
	c.env.log.Debug("Checking BLAKE3 digests after restart", "files", len(files), "bytes", total)
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
		if !report(f) {
			return
		}
	}
	c.env.log.Info("Checked BLAKE3 digests after restart", "files", len(files), "bytes", total, "mismatched", bad)
}

// finish runs when nothing is left to fetch, and again when a re-check
// ends: the torrent is "completed" and, once the digests agree, "verified"
// only if no wanted piece is missing. Pieces lost to a user's edit, or
// withdrawn while their file is re-checked, are missing, not done.
func (t *torrent) finish(c *content) {
	if c == nil || !t.completed || t.verified {
		return
	}
	if lost := t.lostToEdits(c); lost > 0 {
		t.log.Warn("Pieces of changed files are missing; not complete", "bytes", lost)
		return
	}
	if c.digestsOK {
		t.verified = true // an edit undone: its pieces just passed SHA-1 again
		t.publishSnapshot()
		return
	}
	if hasBlake3(c.info) {
		// Started before the caller's save: what BLAKE3 reads (what was not
		// hashed on the write path) comes from the page cache while the
		// save waits for the disk, rather than one after the other.
		ctx := t.ctx
		done := slices.Clone(c.digestFiles) // the worker's own copies
		known := maps.Clone(c.digests)
		t.spawn(func() {
			res, err := c.verifyBlake3(ctx, done, known)
			// Delivered even while the torrent shuts down: a pass that
			// finished still verifies the torrent in its final snapshot.
			t.results <- func() { t.blake3Checked(ctx, c, res, err) }
		})
	} else {
		c.digestsOK = true
		t.verified = true
	}
	t.publishAndEmit(Event{Kind: EventCompleted, InfoHash: t.ih, Name: t.name()})
}

// lostToEdits counts the bytes of pieces the user wants (by file priority)
// that are missing because a file holding them was edited (shoal will not
// fetch them, see applyPriorities) or is being re-checked.
func (t *torrent) lostToEdits(c *content) int64 {
	changed, edited := c.storage.Flagged()
	flagged := append(changed, edited...)
	if len(flagged) == 0 {
		return 0
	}
	var n int64
	for i := range c.info.NumPieces() {
		if c.has(i) {
			continue
		}
		first, end := c.info.FilesOf(i)
		if touchesAny(first, end, flagged) && t.userWants(first, end) {
			n += c.info.PieceSize(i)
		}
	}
	return n
}

// userWants reports whether the user wants any of files [first, end).
func (t *torrent) userWants(first, end int) bool {
	if first == end {
		return true
	}
	for f := first; f < end; f++ {
		if t.filePrio[f] >= 0 {
			return true
		}
	}
	return false
}

// verifyBlake3 checks the complete files against their digests, on a
// worker: all of them, or, when the user skipped files, those whose pieces
// are all here, leaving out those done says matched already (files chosen
// after the torrent was verified are read, not the whole torrent again).
// Of each file it reads only the pieces known has no BLAKE3 part of (all
// of them after a restart; none of a download that ran in this process).
// The torrent's goroutine applies the outcome (blake3Checked).
func (c *content) verifyBlake3(ctx context.Context, done []bool, known map[int]*pieces.PieceDigest) ([]pieces.FileResult, error) {
	want := func(f int) bool { return fileComplete(c, f) && (f >= len(done) || !done[f]) }
	res, err := pieces.VerifyBlake3Known(ctx, c.storage, c.info, want, func(p int) *pieces.PieceDigest { return known[p] })
	var read int64
	for _, r := range res {
		read += r.Read
	}
	c.blake3Read.Add(read)
	c.env.log.Debug("Checked BLAKE3 digests", "files", len(res), "bytesRead", read)
	return res, err
}

func (t *torrent) blake3Checked(ctx context.Context, c *content, res []pieces.FileResult, err error) {
	if err != nil {
		if ctx.Err() == nil {
			t.s.emit(Event{Kind: EventError, InfoHash: t.ih, Name: t.name(), Msg: "blake3: " + err.Error()})
		}
		return
	}
	for _, r := range res {
		if !r.OK {
			msg := "blake3 mismatch: " + r.Path
			if r.Err != nil {
				msg += ": " + r.Err.Error()
			}
			t.s.emit(Event{Kind: EventError, InfoHash: t.ih, Name: t.name(), Msg: msg})
			return
		}
	}
	c.digestsOK = true
	c.digests = nil // every complete file matched: no pass needs them again
	for _, r := range res {
		if r.Index < len(c.digestFiles) {
			c.digestFiles[r.Index] = true
		}
	}
	// A file changed while it was read leaves pieces withdrawn: its
	// re-check decides, and finishes the torrent when they match.
	if t.completed && t.lostToEdits(c) == 0 {
		t.verified = true
		t.publishAndEmit(Event{Kind: EventVerified, InfoHash: t.ih, Name: t.name(),
			Msg: fmt.Sprintf("%d files match their BLAKE3 digests", len(res))})
	}
}

func haveAll(c *content) bool {
	for i := range c.info.NumPieces() {
		if !c.has(i) {
			return false
		}
	}
	return true
}

func hasBlake3(info *pieces.Info) bool {
	for _, f := range info.Files {
		if f.Blake3 != nil {
			return true
		}
	}
	return false
}
