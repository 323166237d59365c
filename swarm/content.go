package swarm

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// content is a torrent's data once its info is known: it owns the
// storage, the verified bits, the disk goroutines and hashing pool
// (disk.go), the resume record, fast record and journal (resume.go,
// journal.go), the changed-file records (changed_record.go) and the
// BLAKE3 checks (digest.go). It never reads the torrent's fields: what it
// needs of them is in env, fixed when the torrent is added.
//
// The open worker builds and finishes it (content_open.go: verified bits,
// guards, edited files, the first resume record); from adopt on, the
// torrent's loop is the only caller of the methods that read or change
// res, stamps, workers, digestsOK and writeFailed. Its jobs (a resume
// save, a BLAKE3 pass, a file's re-check) run on workers that get what
// one job needs and return a value, which the loop applies; the disk
// goroutines and the hashing pool answer on events and hashed, and the
// peers' goroutines call store, servable and readVerified (content_io.go).
// It has no goroutine of its own: the loop calling its methods costs no
// hop per block.
type content struct {
	env     contentEnv
	tor     *pieces.Torrent
	info    *pieces.Info
	storage *pieces.Storage
	have    []atomic.Uint64 // verified pieces, readable by peer goroutines
	// Made by startWorkers, on the loop, before the first request.
	disk    [diskShards]chan diskBlock
	hashReq [diskShards]chan int // holds every piece at once: the loop never blocks on it
	// The hashing pool's queue and its answers to the loop; each holds
	// every piece at once, so no sender ever blocks.
	hashJobs chan int
	hashed   chan hashResult
	checked  atomic.Int64 // pieces hashed by checks (tests assert resume skips them)
	// blake3Read: bytes the BLAKE3 passes read from disk (tests assert a
	// download hashed on the write path reads none).
	blake3Read atomic.Int64

	res    resumeState // the resume record and journal (resume.go)
	stamps stampWatch  // a complete torrent's files, watched for edits (housekeeping.go)
	// workers: the disk goroutines and hashing pool run (startWorkers).
	workers bool
	// haves: Haves of verified pieces waiting to be written (haves.go).
	haves haveBatch
	// writeFailed: when a write last failed (ENOSPC, or another error the
	// loop retries after as for a full disk); zero otherwise.
	writeFailed time.Time
	// digestsOK: every complete file's digest was checked (or a trusted
	// record vouched for it) since the pieces completed; an edit undone
	// needs no second full pass.
	digestsOK bool
	// digestFiles: per file, its digest matched (or was vouched for) since
	// it was last complete; a pass after more files were chosen reads only
	// the others.
	digestFiles []bool
	// digests: per piece, its BLAKE3 part (pieces.PieceDigest) when it was
	// hashed on the write path in this process; the digests' pass reads
	// from disk only the rest. At most maxPieceDigests (about 200 bytes
	// each), dropped once the files' digests matched.
	digests map[int]*pieces.PieceDigest
}

// maxPieceDigests bounds the pieces whose BLAKE3 parts a download keeps
// until its files are checked: 128 GiB of 1 MiB pieces, in about 25 MiB.
// A torrent of more pieces (or smaller ones: a torrent may have 2 million)
// reads the rest back for the check, as every download did before.
var maxPieceDigests = 1 << 17

// contentEnv is what a torrent's content needs of the torrent and its
// session, fixed at Add.
type contentEnv struct {
	ih             InfoHash
	dir            string
	log            *slog.Logger
	stateDir       string // "" keeps no resume records
	resumePath     string // see resumePathFor; "" without a state dir
	bootID         string
	hooks          *testHooks // the session's; zero in production
	hashWorkers    int
	digestBytes    int64             // Config.RestartDigestBytes
	bufferedWrites bool              // Config.BufferedWrites
	prios          []Priority        // AddOptions.Priorities: which files start skipped
	sel            *pieces.Selection // AddOptions.Select
	so             []int             // the magnet's so= (BEP 53)
	reuse          ReuseOptions      // AddOptions.Reuse
	// library lists the session's other torrents' complete files
	// (Session.libraryFiles); safe on the open worker.
	library func() []pieces.KnownFile
}

func (t *torrent) contentEnv() contentEnv {
	return contentEnv{
		ih: t.ih, dir: t.dir, log: t.log, stateDir: t.s.cfg.StateDir,
		resumePath: resumePathFor(t.s.cfg.StateDir, t.ih, t.dir), bootID: t.s.bootID,
		hooks: &t.s.hooks, hashWorkers: t.s.hashWorkers, digestBytes: t.s.cfg.RestartDigestBytes,
		bufferedWrites: t.s.cfg.BufferedWrites, prios: t.opts.Priorities,
		sel: t.opts.Select, so: soOf(t.opts.Magnet), reuse: t.opts.Reuse,
		library: func() []pieces.KnownFile { return t.s.libraryFiles(t) },
	}
}

func newContent(env contentEnv, tor *pieces.Torrent, st *pieces.Storage) *content {
	info := tor.Info
	// The disk and hashing channels come with the workers (startWorkers):
	// a seed never needs them.
	return &content{env: env, tor: tor, info: info, storage: st, have: make([]atomic.Uint64, (info.NumPieces()+63)/64)}
}

func (c *content) has(i int) bool {
	if i < 0 || i >= c.info.NumPieces() {
		return false
	}
	return c.have[i/64].Load()&(1<<(i%64)) != 0
}

func (c *content) setHave(i int) { c.have[i/64].Or(1 << (i % 64)) }

// clearHave withdraws a piece: peer goroutines stop serving it at once.
// Its BLAKE3 part goes too: whoever withdraws it doubts its bytes, and the
// file's digest is then read from the disk. On the torrent's loop.
func (c *content) clearHave(i int) {
	c.have[i/64].And(^uint64(1 << (i % 64)))
	delete(c.digests, i)
}

func haveBitfield(c *content) pieces.Bitfield {
	n := c.info.NumPieces()
	bf := pieces.NewBitfield(n)
	for i := range n {
		if c.has(i) {
			bf.Set(i)
		}
	}
	return bf
}

func countHave(c *content) int {
	n := 0
	for i := range c.info.NumPieces() {
		if c.has(i) {
			n++
		}
	}
	return n
}

func allHave(c *content) bool { return countHave(c) == c.info.NumPieces() }

// fileComplete reports whether every piece of file f is verified.
func fileComplete(c *content, f int) bool {
	first, end := c.info.PiecesOf(f)
	for i := first; i < end; i++ {
		if !c.has(i) {
			return false
		}
	}
	return true
}

// pieceVerified records piece i as verified: served from now on, in the
// journal (its blocks were written before it was hashed), its BLAKE3 part
// d kept for its files' digests, its complete files guarded, and the
// resume record due. On the torrent's loop.
func (c *content) pieceVerified(i int, d *pieces.PieceDigest) {
	c.setHave(i)
	if d != nil && len(c.digests) < maxPieceDigests {
		if c.digests == nil {
			c.digests = make(map[int]*pieces.PieceDigest)
		}
		c.digests[i] = d
	}
	c.journalAdd(i)
	c.guardFilesOf(i)
	c.res.dirty = true
}

// guardFilesOf guards the files of piece i that are now complete: from here
// on a read for upload proves they did not change (see
// pieces.Storage.ReadVerifiedAt). Shoal writes no more to a file whose
// pieces are all verified, so its stamp stays put until someone else
// writes.
func (c *content) guardFilesOf(i int) {
	lo, hi := c.info.FilesOf(i)
	for f := lo; f < hi; f++ {
		if fi := c.info.Files[f]; fi.Padding || fi.Length == 0 || !fileComplete(c, f) {
			continue
		}
		st, err := c.storage.StatFile(f)
		if err != nil {
			c.env.log.Warn("Stat of a complete file failed", "file", filePath(c.info, f), "err", err)
			continue
		}
		c.storage.Guard(f, st)
	}
}

// close ends the journal and closes the files, at shutdown.
func (c *content) close() {
	c.endJournal(false) // the final save holds what it listed; it goes at the next start
	c.storage.Close()
}

// resumePathFor names a torrent's resume record after its infohash and
// the directory its data lives in. A seed of a folder and a download of
// the same torrent elsewhere, sharing a state dir (the default), each keep
// their own record; with one record for both, a download killed early
// loaded the seed's record, took its own half-written file for a user's
// edit of a complete file, and "completed" over the wrong bytes. The
// journal, the fast record and the edited-files record are named after it.
func resumePathFor(stateDir string, ih InfoHash, dir string) string {
	if stateDir == "" {
		return ""
	}
	return filepath.Join(stateDir, fmt.Sprintf("%x-%s.resume", ih[:], dirKey(dir)))
}

// dirKey is a short digest of the absolute, cleaned data directory.
func dirKey(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha1.Sum([]byte(filepath.Clean(dir)))
	return hex.EncodeToString(sum[:6])
}

func filePath(info *pieces.Info, f int) string {
	p := info.Name
	for _, c := range info.Files[f].Path {
		p += "/" + c
	}
	return p
}
