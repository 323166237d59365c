package swarm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-bt/shoal/pieces"
)

// ReuseOptions say where else a torrent's files may already be, before
// anything is fetched (AddOptions.Reuse). The session's other torrents
// are always looked in: their complete files are the user's library.
type ReuseOptions struct {
	// Dirs are folders the user named (--reuse): their regular files of
	// a wanted file's length are hashed; links in them are not followed.
	Dirs []string
	// Link allows a hard link where a reflink cannot be made. The two
	// names are then one file: an edit to one is an edit to the other,
	// which is why it is never the default. Sources are hashed first.
	Link bool
	// Known lists files of torrents shared outside this session (the
	// library of one-process commands): found by their torrents' word,
	// checked once placed. Called on the open worker, only when some
	// wanted file is missing; nil for none.
	Known func() []pieces.KnownFile
}

// Had counts a torrent's wanted files that were whole on disk before
// anything was fetched (EventAlreadyHad).
type Had struct {
	Files   int   // wanted files complete at open (empty files aside)
	OfFiles int   // wanted files
	Bytes   int64 // their size
	Reused  int   // of Files, put in place from the library or a --reuse folder; the rest were at their path
}

// reuseReport is what the open worker's reuse pass did, for adopt.
type reuseReport struct {
	placed []bool // per file: put in place by this open
	// fresh: no resume record, so files found at their path were not
	// this download's own from an earlier run.
	fresh bool
	had   Had
}

// reuseFiles looks, for each wanted file with an identity that is not at
// its path, for a file with the same identity (pieces.FindReuse) and puts
// it in place (pieces.PlaceFile). Nothing it places counts until the open
// check has verified it. Failures are logged, never fatal: the file is
// then fetched.
func reuseFiles(ctx context.Context, env contentEnv, info *pieces.Info, prio []Priority) reuseReport {
	r := reuseReport{placed: make([]bool, len(info.Files)), fresh: noResumeRecord(env)}
	missing := func(f int) bool {
		file := info.Files[f]
		if skipped(prio, f) || file.Padding || file.Length == 0 {
			return false
		}
		_, err := os.Lstat(filepath.Join(env.dir, filepath.FromSlash(filePath(info, f))))
		return errors.Is(err, fs.ErrNotExist)
	}
	some := false
	for f := range info.Files {
		if (info.Files[f].Root != nil || info.Files[f].Blake3 != nil) && missing(f) {
			some = true
			break
		}
	}
	if !some {
		return r
	}
	var known []pieces.KnownFile
	if env.reuse.Known != nil {
		known = env.reuse.Known()
	}
	if env.library != nil {
		known = append(known, env.library()...)
	}
	if len(known) == 0 && len(env.reuse.Dirs) == 0 {
		return r
	}
	matches, err := pieces.FindReuse(ctx, pieces.ReuseQuery{Info: info, Want: missing, Known: known,
		HashKnown: env.reuse.Link, Dirs: env.reuse.Dirs})
	if err != nil {
		env.log.Warn("Looking for files already here failed", "torrent", info.Name, "err", err)
	}
	for _, m := range matches {
		rel := filePath(info, m.File)
		how, err := pieces.PlaceFile(ctx, env.dir, rel, m.Src, info.Files[m.File].Length,
			env.reuse.Link && m.Hashed, m.From == pieces.FromLibrary)
		if errors.Is(err, fs.ErrExist) {
			env.log.Info("A file appeared where a reused one was to go; it stays", "file", rel)
			continue
		}
		if err != nil {
			env.log.Warn("Reusing a file failed; it will be fetched", "file", rel, "from", m.Src, "err", err)
			continue
		}
		r.placed[m.File] = true
		env.log.Info("Reused a file already here", "file", rel, "from", m.Src, "how", how.String())
	}
	return r
}

// noResumeRecord: this download never ran here before.
func noResumeRecord(env contentEnv) bool {
	if env.resumePath == "" {
		return true
	}
	for _, p := range []string{env.resumePath, fastPath(env.resumePath)} {
		if _, err := os.Stat(p); err == nil {
			return false
		}
	}
	return true
}

// count fills r.had from the pieces the open check verified.
func (r *reuseReport) count(c *content, have pieces.Bitfield, prio []Priority) {
	whole := func(f int) bool {
		first, end := c.info.PiecesOf(f)
		for i := first; i < end; i++ {
			if !have.Has(i) {
				return false
			}
		}
		return true
	}
	for f, file := range c.info.Files {
		if skipped(prio, f) || file.Padding || file.Length == 0 {
			continue
		}
		r.had.OfFiles++
		if whole(f) {
			r.had.Files++
			r.had.Bytes += file.Length
			if r.placed[f] {
				r.had.Reused++
			}
		}
	}
}

// event is the already-had event, if there is something to say: files
// this open put in place, or, on a first run, files found at their path.
func (r *reuseReport) event() (Event, bool) {
	h := r.had
	if h.Files == 0 || (h.Reused == 0 && !r.fresh) {
		return Event{}, false
	}
	msg := fmt.Sprintf("already had %d of %d files (%s)", h.Files, h.OfFiles, sizeString(h.Bytes))
	var parts []string
	if h.Reused > 0 {
		parts = append(parts, fmt.Sprintf("%d put in place from files shoal found", h.Reused))
	}
	if at := h.Files - h.Reused; at > 0 && h.Reused > 0 {
		parts = append(parts, fmt.Sprintf("%d at their path", at))
	}
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
	}
	return Event{Kind: EventAlreadyHad, Msg: msg, Had: &h}, true
}

// sizeString is n in IEC units with one decimal ("1.5 GiB").
func sizeString(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	x, u := float64(n)/1024, 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for x >= 1024 && u < len(units)-1 {
		x /= 1024
		u++
	}
	return fmt.Sprintf("%.1f %s", x, units[u])
}

// libraryFiles lists the complete files with an identity of the
// session's torrents but skip: where a new torrent looks first. It reads
// only what any goroutine may (the content pointer, its fixed info and
// env, its atomic verified bits).
func (s *Session) libraryFiles(skip *torrent) []pieces.KnownFile {
	s.mu.Lock()
	ts := make([]*torrent, 0, len(s.torrents))
	for _, t := range s.torrents {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	var out []pieces.KnownFile
	for _, t := range ts {
		c := t.data.Load()
		if t == skip || c == nil {
			continue
		}
		for f, file := range c.info.Files {
			if file.Padding || file.Length == 0 || (file.Root == nil && file.Blake3 == nil) || !fileComplete(c, f) {
				continue
			}
			out = append(out, pieces.KnownFile{Path: filepath.Join(c.env.dir, filepath.FromSlash(filePath(c.info, f))),
				Length: file.Length, Root: file.Root, Blake3: file.Blake3})
		}
	}
	return out
}

// skipped: prio (nil when every file is normal) skips file f.
func skipped(prio []Priority, f int) bool { return prio != nil && prio[f] == PrioritySkip }
