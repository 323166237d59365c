package pieces

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"runtime"
	"sync/atomic"

	"github.com/zeebo/blake3"
	"golang.org/x/sync/errgroup"
)

// FileResult is the outcome of checking one file's BLAKE3 digest.
type FileResult struct {
	Index   int    // into Info.Files
	Path    string // slash-separated, under the download directory (starts with Name)
	OK      bool   // digest matches
	Missing bool   // file does not exist
	Err     error  // read error, or why OK is false (short file, digest mismatch)
	Read    int64  // bytes read from disk for the check (VerifyBlake3Known reads what was not hashed on the write path)
}

// ErrDigestMismatch is the FileResult.Err of a file whose content does not
// match its BLAKE3 digest.
var ErrDigestMismatch = errors.New("blake3 digest mismatch")

// VerifyBlake3 checks every file that carries a BLAKE3 digest, in parallel
// across files; files without one are skipped (absent from the results).
// Results are in file order. The error is only for cancellation.
func VerifyBlake3(ctx context.Context, s *Storage, info *Info) ([]FileResult, error) {
	return verifyFiles(ctx, s, info, func(_ int, f File) bool { return f.Blake3 != nil }, verifyFile)
}

// verifyFiles runs check on every file that has, in parallel across files
// (a worker per core, each with its own 1 MiB buffer, a multiple of
// BlockSize so v2 leaves never straddle reads), and returns the results in
// file order. The error is only for cancellation.
func verifyFiles(ctx context.Context, s *Storage, info *Info, has func(k int, f File) bool,
	check func(ctx context.Context, s *Storage, info *Info, k int, buf []byte) (FileResult, error)) ([]FileResult, error) {
	var todo []int
	for k, f := range info.Files {
		if has(k, f) {
			todo = append(todo, k)
		}
	}
	results := make([]FileResult, len(todo))
	var next atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	for range min(runtime.GOMAXPROCS(0), max(len(todo), 1)) {
		g.Go(func() error {
			buf := getBuf(1 << 20)
			defer putBuf(buf)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) {
					return nil
				}
				r, err := check(ctx, s, info, todo[i], *buf)
				if err != nil {
					return err
				}
				results[i] = r
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// VerifyFileBlake3 checks file k against its BLAKE3 digest, reading with
// one buffer: a background check that leaves the cores to the rest. A file
// without a digest gives OK false and a nil Err. The error is only for
// cancellation.
func VerifyFileBlake3(ctx context.Context, s *Storage, info *Info, k int) (FileResult, error) {
	if info.Files[k].Blake3 == nil {
		return FileResult{Index: k, Path: s.rel[k]}, nil
	}
	buf := getBuf(1 << 20)
	defer putBuf(buf)
	return verifyFile(ctx, s, info, k, *buf)
}

func verifyFile(ctx context.Context, s *Storage, info *Info, k int, buf []byte) (FileResult, error) {
	f := info.Files[k]
	r := FileResult{Index: k, Path: s.rel[k]}
	// A parted file is not on disk; its bytes, all in shared pieces, are
	// read from the part file.
	if err := s.statFile(k); err != nil && !s.Parted(k) {
		if errors.Is(err, fs.ErrNotExist) {
			r.Missing, r.Err = true, err
		} else {
			r.Err = err
		}
		return r, nil
	}
	h := blake3.New()
	for off := int64(0); off < f.Length; {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		n := int(min(int64(len(buf)), f.Length-off))
		if _, err := s.ReadAt(buf[:n], f.Offset+off); err != nil {
			r.Err = err
			return r, nil
		}
		h.Write(buf[:n])
		off += int64(n)
		r.Read = off
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, f.Blake3) {
		r.Err = ErrDigestMismatch // Path names the file; saying it here too would repeat it
		return r, nil
	}
	r.OK = true
	return r, nil
}
