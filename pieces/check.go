package pieces

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"
)

// Check verifies what is on disk, hashing pieces on workers goroutines
// (GOMAXPROCS when 0). Pieces in missing or short files are simply not set;
// so are pieces of a path that is a directory or special file. Other I/O
// errors (permissions, EIO, a symlink leading outside dir) stop the check and are returned.
// progress, if set, is called after each piece, never concurrently.
func Check(ctx context.Context, s *Storage, info *Info, workers int, progress func(done, total int)) (Bitfield, error) {
	return CheckPieces(ctx, s, info, nil, workers, progress)
}

// CheckPieces is Check of only the pieces in list (all when list is nil):
// a restart re-hashes just the files that changed. A v2-only torrent's
// pieces are checked as CheckV2 does without piece layers.
func CheckPieces(ctx context.Context, s *Storage, info *Info, list []Index, workers int, progress func(done, total int)) (Bitfield, error) {
	if !info.HasV1() {
		return CheckV2(ctx, s, info, nil, list, workers, progress)
	}
	return checkEach(ctx, info, list, workers, progress, func(p Index) (bool, error) {
		h, err := s.HashPiece(p)
		return err == nil && h == info.Hashes[p], err
	})
}

// checkEach runs ok on every piece of list (all when nil) on workers
// goroutines and sets the pieces it passes. An ok error that means the data
// is absent only leaves the piece unset; others stop the check.
func checkEach(ctx context.Context, info *Info, list []Index, workers int, progress func(done, total int), ok func(Index) (bool, error)) (Bitfield, error) {
	have := NewBitfield(info.NumPieces())
	if list == nil {
		list = allIndexes(info.NumPieces())
	}
	n := len(list)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var mu sync.Mutex
	done := 0
	g, ctx := errgroup.WithContext(ctx)
	for range min(workers, max(n, 1)) {
		g.Go(func() error {
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				k := Index(next.Add(1) - 1)
				if k >= n {
					return nil
				}
				p := list[k]
				good, err := ok(p)
				if err != nil && !isAbsent(err) {
					return err
				}
				mu.Lock()
				if err == nil && good {
					have.Set(p)
				}
				done++
				if progress != nil {
					progress(done, n)
				}
				mu.Unlock()
			}
		})
	}
	if err := g.Wait(); err != nil {
		return Bitfield{}, err
	}
	return have, nil
}

// isAbsent reports errors that mean "the data is not there (yet)" rather
// than "the disk is failing".
func isAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, errNotRegular)
}
