package pieces

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io/fs"
)

// FileBlake3 combines the PieceDigests of file f's pieces (digest returns
// each, nil for a piece not hashed on the write path) into f's BLAKE3
// digest; false when a piece's part is missing or the file carries no
// digest.
func FileBlake3(info *Info, f int, digest func(p Index) *PieceDigest) ([32]byte, bool) {
	fi := info.Files[f]
	if fi.Blake3 == nil || fi.Padding {
		return [32]byte{}, false
	}
	var segs []*segDigest
	first, end := info.PiecesOf(f)
	for p := first; p < end; p++ {
		s := digest(p).seg(f)
		if s == nil {
			return [32]byte{}, false
		}
		segs = append(segs, s)
	}
	return fileDigest(fi.Length, segs)
}

// seg is d's part of file f, nil when d is nil or does not cover f.
func (d *PieceDigest) seg(f int) *segDigest {
	if d == nil {
		return nil
	}
	for k := range d.segs {
		if d.segs[k].file == f {
			return &d.segs[k]
		}
	}
	return nil
}

// VerifyBlake3Known checks the files want picks against their BLAKE3
// digests as VerifyBlake3 does (in parallel across files, results in file
// order), but reads only the parts of pieces that known does not give (nil
// for those not hashed on the write path: a download resumed after a
// restart hashed only what it fetched since). Files without a digest are
// skipped. The error is only for cancellation.
func VerifyBlake3Known(ctx context.Context, s *Storage, info *Info, want func(f int) bool, known func(p Index) *PieceDigest) ([]FileResult, error) {
	return verifyFiles(ctx, s, info, func(k int, f File) bool { return f.Blake3 != nil && !f.Padding && want(k) },
		func(ctx context.Context, s *Storage, info *Info, k int, buf []byte) (FileResult, error) {
			return verifyFileKnown(ctx, s, info, k, known, buf)
		})
}

// VerifyFileBlake3Known is VerifyBlake3Known for file f alone.
func VerifyFileBlake3Known(ctx context.Context, s *Storage, info *Info, f int, known func(p Index) *PieceDigest) (FileResult, error) {
	if info.Files[f].Blake3 == nil {
		return FileResult{Index: f, Path: s.rel[f]}, nil
	}
	buf := getBuf(1 << 20)
	defer putBuf(buf)
	return verifyFileKnown(ctx, s, info, f, known, *buf)
}

func verifyFileKnown(ctx context.Context, s *Storage, info *Info, f int, known func(p Index) *PieceDigest, buf []byte) (FileResult, error) {
	fi := info.Files[f]
	r := FileResult{Index: f, Path: s.rel[f]}
	if err := s.statFile(f); err != nil && !s.Parted(f) {
		if errors.Is(err, fs.ErrNotExist) {
			r.Missing, r.Err = true, err
		} else {
			r.Err = err
		}
		return r, nil
	}
	first, end := info.PiecesOf(f)
	read := make(map[Index]*PieceDigest)
	for p := first; p < end; p++ {
		if known(p).seg(f) != nil {
			continue
		}
		d, err := hashFilePart(ctx, s, info, f, p, buf)
		if err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			r.Err = err
			return r, nil
		}
		read[p] = d
		r.Read += d.segs[0].to - d.segs[0].from
	}
	sum, ok := FileBlake3(info, f, func(p Index) *PieceDigest {
		if d := read[p]; d != nil {
			return d
		}
		return known(p)
	})
	if !ok || !bytes.Equal(sum[:], fi.Blake3) {
		r.Err = ErrDigestMismatch
		return r, nil
	}
	r.OK = true
	return r, nil
}

// hashFilePart reads file f's part of piece p and returns its digest
// (covering f alone).
func hashFilePart(ctx context.Context, s *Storage, info *Info, f int, p Index, buf []byte) (*PieceDigest, error) {
	fi := info.Files[f]
	start := info.PieceOffset(p)
	from := max(start, fi.Offset) - fi.Offset
	to := min(start+info.PieceSize(p), fi.Offset+fi.Length) - fi.Offset
	h := segHasher{seg: segDigest{file: f, from: from, to: to}}
	h.init(fi.Length)
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := int(min(int64(len(buf)), to-off))
		if _, err := s.ReadAt(buf[:n], fi.Offset+off); err != nil {
			return nil, err
		}
		h.write(buf[:n])
		h.pos += int64(n)
		off += int64(n)
	}
	h.finish()
	return &PieceDigest{segs: []segDigest{h.seg}}, nil
}

// PieceOKDigest is PieceOK that also returns the piece's PieceDigest when
// it matches (nil for a torrent without BLAKE3 digests, or a v2-only one):
// a piece read back for its hash is then not read again for BLAKE3.
func PieceOKDigest(s *Storage, t *Torrent, p Index) (bool, *PieceDigest, error) {
	if !t.Info.HasV1() {
		ok, err := pieceOKV2(s, t.Info, t.PieceLayers, p)
		return ok, nil, err
	}
	buf := getBuf(int(t.Info.PieceLength))
	defer putBuf(buf)
	b := (*buf)[:t.Info.PieceSize(p)]
	if _, err := s.ReadAt(b, t.Info.PieceOffset(p)); err != nil {
		return false, nil, fmt.Errorf("piece %d: %w", p, err)
	}
	if sha1.Sum(b) != t.Info.Hashes[p] {
		return false, nil, nil
	}
	var d *PieceDigest
	if h := NewPieceHasher(t.Info, p); h != nil {
		h.Write(b)
		d = h.Sum()
	}
	return true, d, nil
}
