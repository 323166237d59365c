package pieces

import (
	"crypto/sha256"
	"hash"
)

// LeafHasher hashes a v2 piece's 16 KiB Merkle leaves from its bytes as
// they are written, in order, so the piece is checked against its piece
// layer (or its file's root) without reading it back: the v2 counterpart
// of a running SHA-1. Bytes past the file's end in the piece (a v2
// layout's pad zeros) are not part of any leaf and are ignored.
type LeafHasher struct {
	file   int   // the index in Info.Files of the file the piece holds
	n      int64 // the file's bytes in the piece
	got    int64 // bytes written so far
	cur    hash.Hash
	inCur  int
	leaves []Hash32
}

// NewLeafHasher returns the hasher of piece p of a v2-only torrent, or nil
// when the piece holds no bytes of a file with a root (nothing to check
// the leaves against) or the torrent has a v1 half (checked by SHA-1).
func NewLeafHasher(info *Info, p Index) *LeafHasher {
	if info.HasV1() {
		return nil
	}
	k, n := v2FileOf(info, p)
	if k < 0 {
		return nil
	}
	return &LeafHasher{file: k, n: n, cur: sha256.New(), leaves: make([]Hash32, 0, (n+BlockSize-1)/BlockSize)}
}

// v2FileOf is the file whose bytes piece p holds and how many of them, or
// -1 when there is none with a root.
func v2FileOf(info *Info, p Index) (int, int64) {
	first, end := info.FilesOf(p)
	start := info.PieceOffset(p)
	for k := first; k < end; k++ {
		f := info.Files[k]
		if f.Padding || f.Length == 0 || f.Root == nil {
			continue
		}
		return k, min(info.PieceLength, f.Offset+f.Length-start)
	}
	return -1, 0
}

// Write adds the piece's next bytes.
func (h *LeafHasher) Write(b []byte) {
	if rest := h.n - h.got; int64(len(b)) > rest {
		b = b[:max(rest, 0)]
	}
	h.got += int64(len(b))
	for len(b) > 0 {
		k := min(len(b), BlockSize-h.inCur)
		h.cur.Write(b[:k])
		h.inCur += k
		b = b[k:]
		if h.inCur == BlockSize {
			h.leaves = append(h.leaves, Hash32(h.cur.Sum(nil)))
			h.cur.Reset()
			h.inCur = 0
		}
	}
}

// OK reports whether the bytes written are piece p of t: all of the file's
// bytes in it, hashing to its piece-layer node (or, for a file of one
// piece, to its root).
func (h *LeafHasher) OK(t *Torrent, p Index) bool {
	if h.got != h.n {
		return false
	}
	leaves := h.leaves
	if h.inCur > 0 {
		leaves = append(leaves, Hash32(h.cur.Sum(nil)))
	}
	return v2LeavesOK(t.Info, t.PieceLayers, p, h.file, leaves)
}

// v2LeavesOK checks the leaves of file k's bytes in piece p against the
// file's piece layer, or its root when the file fits in one piece.
func v2LeavesOK(info *Info, layers map[Hash32][]Hash32, p Index, k int, leaves []Hash32) bool {
	f := info.Files[k]
	if f.Length <= info.PieceLength {
		return FileRoot(leaves) == Hash32(f.Root)
	}
	layer := layers[Hash32(f.Root)]
	idx := (info.PieceOffset(p) - f.Offset) / info.PieceLength
	return idx < int64(len(layer)) && PieceHashV2(leaves, info.PieceLength) == layer[idx]
}
