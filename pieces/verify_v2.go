package pieces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// ErrRootMismatch is the FileResult.Err of a file whose content does not
// hash to its BEP 52 pieces root.
var ErrRootMismatch = errors.New("v2 pieces root mismatch")

// CheckV2 checks pieces (all when list is nil) against the v2 Merkle
// trees: a piece of a file longer than a piece against the file's piece
// layer in layers, the one piece of a smaller file against its root. A
// piece whose layer is not in layers is left unset: nothing can vouch for
// it. For a hybrid torrent it checks the v2 half only.
func CheckV2(ctx context.Context, s *Storage, info *Info, layers map[Hash32][]Hash32, list []Index, workers int, progress func(done, total int)) (Bitfield, error) {
	return checkEach(ctx, info, list, workers, progress, func(p Index) (bool, error) {
		return pieceOKV2(s, info, layers, p)
	})
}

// pieceOKV2 is one piece of CheckV2. In a v2 layout a piece holds bytes of
// one file only (and pad zeros after them).
func pieceOKV2(s *Storage, info *Info, layers map[Hash32][]Hash32, p Index) (bool, error) {
	k, n := v2FileOf(info, p)
	if k < 0 {
		return false, nil
	}
	buf := getBuf(int(info.PieceLength))
	defer putBuf(buf)
	b := (*buf)[:n]
	if _, err := s.ReadAt(b, info.PieceOffset(p)); err != nil {
		return false, fmt.Errorf("piece %d: %w", p, err)
	}
	return v2LeavesOK(info, layers, p, k, BlockLeaves(b)), nil
}

// VerifyRoots checks every file that has a v2 root end to end against it,
// in parallel across files, as VerifyBlake3 does for BLAKE3 digests; files
// without a root are absent from the results. The error is only for
// cancellation.
func VerifyRoots(ctx context.Context, s *Storage, info *Info) ([]FileResult, error) {
	return verifyFiles(ctx, s, info, func(_ int, f File) bool { return f.Root != nil }, verifyRoot)
}

func verifyRoot(ctx context.Context, s *Storage, info *Info, k int, buf []byte) (FileResult, error) {
	f := info.Files[k]
	r := FileResult{Index: k, Path: s.rel[k]}
	if err := s.statFile(k); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.Missing, r.Err = true, err
		} else {
			r.Err = err
		}
		return r, nil
	}
	leaves, err := fileLeaves(ctx, io.NewSectionReader(s, f.Offset, f.Length), f.Length, buf)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	if err != nil {
		r.Err = err
		return r, nil
	}
	if FileRoot(leaves) != Hash32(f.Root) {
		r.Err = ErrRootMismatch
		return r, nil
	}
	r.OK = true
	return r, nil
}

// CheckTorrent is CheckPieces for a whole torrent (pieces in list, all
// when nil): by SHA-1 when it has a v1 half, else by its Merkle trees with
// the piece layers it carries.
func CheckTorrent(ctx context.Context, s *Storage, t *Torrent, list []Index, workers int, progress func(done, total int)) (Bitfield, error) {
	if t.Info.HasV1() {
		return CheckPieces(ctx, s, t.Info, list, workers, progress)
	}
	return CheckV2(ctx, s, t.Info, t.PieceLayers, list, workers, progress)
}

// PieceOK reads piece p of t from s and checks it as CheckTorrent does.
// An error means the data could not be read.
func PieceOK(s *Storage, t *Torrent, p Index) (bool, error) {
	if t.Info.HasV1() {
		sum, err := s.HashPiece(p)
		return err == nil && sum == t.Info.Hashes[p], err
	}
	return pieceOKV2(s, t.Info, t.PieceLayers, p)
}
