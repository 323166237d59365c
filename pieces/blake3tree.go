package pieces

import (
	"math/bits"
	"sync"

	"github.com/zeebo/blake3"
	"lukechampine.com/blake3/guts"
)

// BLAKE3 on the write path. BLAKE3 hashes a file as a binary tree of 1 KiB
// chunks, each chunk numbered by its place in the file, and every aligned
// run of 2^h whole chunks that is not the whole file is a node of that
// tree. So the bytes of one piece give, for each file they belong to, the
// chaining values of the aligned subtrees they hold whole, plus at most a
// chunk's worth of bytes at either end; the file's digest is these nodes
// combined once every piece is here, in whatever order the pieces came.
// The download then needs no second pass over the disk.
//
// github.com/zeebo/blake3 (our full-file hasher) keeps its chunk and parent
// compression internal; lukechampine.com/blake3/guts exports them
// (CompressBuffer: 16 chunks at a given chunk counter, with AVX-512 or
// AVX2), which is what hashing a subtree that does not start the file
// needs.

const (
	chunkSize = guts.ChunkSize
	groupSize = guts.MaxSIMD * chunkSize // bytes one CompressBuffer takes
)

// PieceDigest is what one piece's bytes tell of the BLAKE3 digests of the
// files it holds. It never changes once made, so any goroutine may read it.
type PieceDigest struct {
	segs []segDigest
}

// segDigest covers one file's bytes [from, to) within a piece (file
// offsets): the digest of the whole file when they are all of it, or the
// subtrees they hold whole and the bytes of the chunks they hold in part.
type segDigest struct {
	file       int
	from, to   int64
	whole      *[32]byte
	nodes      []subtree
	head, tail []byte // bytes at from, and ending at to, of chunks shared with neighbours
}

type subtree struct {
	chunk  uint64 // first chunk
	height int    // 2^height chunks
	cv     [8]uint32
}

// PieceHasher computes a piece's PieceDigest from its bytes, written in
// order. It is for one goroutine.
type PieceHasher struct {
	segs []segHasher
	cur  int
}

// NewPieceHasher returns a hasher of piece p's bytes for the files in it
// that carry a BLAKE3 digest, or nil when none does (v2-only torrents,
// torrents not made by shoal, a piece of pad files).
func NewPieceHasher(info *Info, p Index) *PieceHasher {
	start := info.PieceOffset(p)
	stop := start + info.PieceSize(p)
	var h *PieceHasher
	lo, hi := info.FilesOf(p)
	for f := lo; f < hi; f++ {
		fi := info.Files[f]
		if fi.Length == 0 {
			continue
		}
		if h == nil {
			h = &PieceHasher{}
		}
		s := segHasher{skip: fi.Blake3 == nil || fi.Padding, seg: segDigest{file: f,
			from: max(start, fi.Offset) - fi.Offset, to: min(stop, fi.Offset+fi.Length) - fi.Offset}}
		s.init(fi.Length)
		h.segs = append(h.segs, s)
	}
	if h == nil {
		return nil
	}
	for _, s := range h.segs {
		if !s.skip {
			return h
		}
	}
	return nil
}

// Write takes the piece's next bytes.
func (h *PieceHasher) Write(p []byte) {
	for len(p) > 0 && h.cur < len(h.segs) {
		s := &h.segs[h.cur]
		n := int(min(int64(len(p)), s.seg.to-s.pos))
		if !s.skip {
			s.write(p[:n])
		}
		p = p[n:]
		if s.pos += int64(n); s.pos == s.seg.to {
			s.finish()
			h.cur++
		}
	}
}

// Sum returns the digest of the bytes written, which must be the whole
// piece (it panics otherwise: a broken invariant of the caller's).
func (h *PieceHasher) Sum() *PieceDigest {
	if h.cur != len(h.segs) {
		panic("pieces: PieceHasher.Sum before the whole piece was written")
	}
	d := &PieceDigest{}
	for _, s := range h.segs {
		if !s.skip {
			d.segs = append(d.segs, s.seg)
		}
	}
	return d
}

// segHasher hashes one file's part of a piece: the bytes before the first
// whole chunk go to head, those of whole chunks through CompressBuffer a
// subtree at a time (up to 16 chunks per call, merged within larger
// subtrees), those after the last whole chunk to tail.
type segHasher struct {
	seg    segDigest
	skip   bool // the file carries no digest, or is padding
	pos    int64
	length int64 // the file's
	whole  *blake3.Hasher
	fullLo int64 // whole chunks lie in [fullLo, fullHi)
	fullHi int64
	trees  []int // heights of the subtrees left to do, in order
	chunk  uint64
	stack  [][8]uint32 // CVs of the current subtree's finished groups, merged as they pair up
	groups uint64      // groups done in the current subtree
	stage  *[groupSize]byte
	staged int
}

func (s *segHasher) init(length int64) {
	s.length = length
	s.pos = s.seg.from
	if s.skip {
		return
	}
	if s.seg.from == 0 && s.seg.to == length {
		s.whole = blake3.New()
		return
	}
	s.fullLo = roundUp(s.seg.from, chunkSize)
	s.fullHi = s.seg.to / chunkSize * chunkSize
	if s.seg.to == length {
		s.fullHi = s.seg.to // the file's last chunk, however short, is whole here
	}
	if s.fullLo >= s.fullHi {
		s.fullLo, s.fullHi = s.seg.to, s.seg.to // no whole chunk: all of it is head
		return
	}
	first := uint64(s.fullLo / chunkSize)
	s.trees = guts.Eigentrees(first, uint64(ceilDiv(s.fullHi, chunkSize))-first)
	s.chunk = first
}

func roundUp(x, to int64) int64 { return (x + to - 1) / to * to }

func (s *segHasher) write(p []byte) {
	if s.whole != nil {
		s.whole.Write(p)
		return
	}
	pos := s.pos
	for len(p) > 0 {
		var n int
		switch {
		case pos < s.fullLo:
			n = int(min(int64(len(p)), s.fullLo-pos))
			s.seg.head = append(s.seg.head, p[:n]...)
		case pos < s.fullHi:
			n = s.writeFull(p, pos)
		default:
			n = len(p)
			s.seg.tail = append(s.seg.tail, p...)
		}
		p = p[n:]
		pos += int64(n)
	}
}

// writeFull hashes whole-chunk bytes at file offset pos, a group at a
// time, and returns how many of p it took. A group that p holds whole is
// hashed in place; one split across writes is gathered in stage first.
func (s *segHasher) writeFull(p []byte, pos int64) int {
	gStart := int64(s.chunk) * chunkSize
	gEnd := min(gStart+s.groupBytes(), s.fullHi)
	if s.staged == 0 && len(p) >= groupSize {
		// CompressBuffer reads a full group's memory whatever its length.
		s.group((*[groupSize]byte)(p[:groupSize]), int(gEnd-pos))
		return int(gEnd - pos)
	}
	if s.stage == nil {
		s.stage = stagePool.Get().(*[groupSize]byte)
	}
	n := copy(s.stage[pos-gStart:gEnd-gStart], p)
	s.staged += n
	if pos+int64(n) == gEnd {
		s.group(s.stage, s.staged)
		s.staged = 0
	}
	return n
}

var stagePool = sync.Pool{New: func() any { return new([groupSize]byte) }}

// groupBytes is the size of the next group: 16 chunks, or the current
// subtree when it is smaller.
func (s *segHasher) groupBytes() int64 {
	return int64(min(1<<s.trees[0], guts.MaxSIMD)) * chunkSize
}

// group hashes the n bytes of buf as chunks from s.chunk on and adds the
// result to the current subtree, which it closes once complete.
func (s *segHasher) group(buf *[groupSize]byte, n int) {
	cv := guts.ChainingValue(guts.CompressBuffer(buf, n, &guts.IV, s.chunk, 0))
	chunks := uint64(ceilDiv(int64(n), chunkSize))
	s.chunk += chunks
	s.groups++
	s.stack = append(s.stack, cv)
	for g := s.groups; g&1 == 0 && len(s.stack) > 1; g >>= 1 {
		l, r := s.stack[len(s.stack)-2], s.stack[len(s.stack)-1]
		s.stack = append(s.stack[:len(s.stack)-2], guts.ChainingValue(guts.ParentNode(l, r, &guts.IV, 0)))
	}
	h := s.trees[0]
	if need := uint64(1) << max(h-4, 0); s.groups < need { // 16 chunks a group
		return // the subtree has more groups to come
	}
	s.seg.nodes = append(s.seg.nodes, subtree{chunk: s.chunk - 1<<h, height: h, cv: s.stack[0]})
	s.stack, s.groups, s.trees = s.stack[:0], 0, s.trees[1:]
}

func (s *segHasher) finish() {
	if s.stage != nil {
		stagePool.Put(s.stage)
		s.stage = nil
	}
	if s.whole != nil {
		var sum [32]byte
		s.whole.Sum(sum[:0])
		s.seg.whole = &sum
		s.whole = nil
	}
	s.stack = nil
}

// fileDigest combines the parts of one file, from its pieces in any
// order, into its BLAKE3 digest; false when they do not cover the file.
func fileDigest(length int64, segs []*segDigest) ([32]byte, bool) {
	var out [32]byte
	for _, s := range segs {
		if s.whole != nil {
			return *s.whole, true
		}
	}
	if length == 0 {
		return blake3.Sum256(nil), true
	}
	n := uint64(ceilDiv(length, chunkSize))
	nodes := make(map[uint64]subtree)
	for _, s := range segs {
		for _, t := range s.nodes {
			nodes[t.chunk] = t
		}
	}
	// The chunks split between pieces, from the pieces' heads and tails.
	parts := make(map[uint64][]fragment)
	for _, s := range segs {
		if len(s.head) > 0 {
			addFragment(parts, s.from, s.head)
		}
		if len(s.tail) > 0 {
			addFragment(parts, s.to-int64(len(s.tail)), s.tail)
		}
	}
	var rootChunk *guts.Node
	for k, frags := range parts {
		buf, ok := joinFragments(k, frags, length)
		if !ok {
			return out, false
		}
		node := guts.CompressChunk(buf, &guts.IV, k, 0)
		if n == 1 {
			rootChunk = &node
			break
		}
		nodes[k] = subtree{chunk: k, height: 0, cv: guts.ChainingValue(node)}
	}
	var root guts.Node
	switch {
	case n == 1 && rootChunk == nil:
		return out, false
	case n == 1:
		root = *rootChunk
	default:
		left := uint64(1) << (bits.Len64(n-1) - 1)
		l, okL := subtreeCV(nodes, 0, left)
		r, okR := subtreeCV(nodes, left, n-left)
		if !okL || !okR {
			return out, false
		}
		root = guts.ParentNode(l, r, &guts.IV, 0)
	}
	root.Flags |= guts.FlagRoot
	words := guts.CompressNode(root)
	for i, w := range words[:8] {
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	}
	return out, true
}

type fragment struct {
	off int64
	b   []byte
}

// addFragment files b, the bytes at file offset off, under the chunks it
// touches.
func addFragment(parts map[uint64][]fragment, off int64, b []byte) {
	for k := uint64(off / chunkSize); int64(k)*chunkSize < off+int64(len(b)); k++ {
		parts[k] = append(parts[k], fragment{off: off, b: b})
	}
}

// joinFragments assembles chunk k of a file of the given length from its
// fragments; false when they leave a gap.
func joinFragments(k uint64, frags []fragment, length int64) ([]byte, bool) {
	lo := int64(k) * chunkSize
	hi := min(lo+chunkSize, length)
	buf := make([]byte, hi-lo)
	covered := make([]bool, hi-lo)
	for _, f := range frags {
		for i, c := range f.b {
			if at := f.off + int64(i); at >= lo && at < hi {
				buf[at-lo], covered[at-lo] = c, true
			}
		}
	}
	for _, c := range covered {
		if !c {
			return nil, false
		}
	}
	return buf, true
}

// subtreeCV is the chaining value of the tree node over chunks [lo,
// lo+size), built from the nodes known below it as BLAKE3 shapes its tree:
// a left subtree of the largest power of two chunks that leaves some for
// the right.
func subtreeCV(nodes map[uint64]subtree, lo, size uint64) ([8]uint32, bool) {
	if t, ok := nodes[lo]; ok && uint64(1)<<t.height == size {
		return t.cv, true
	}
	if size <= 1 {
		return [8]uint32{}, false
	}
	left := uint64(1) << (bits.Len64(size-1) - 1)
	l, ok := subtreeCV(nodes, lo, left)
	if !ok {
		return l, false
	}
	r, ok := subtreeCV(nodes, lo+left, size-left)
	if !ok {
		return r, false
	}
	return guts.ChainingValue(guts.ParentNode(l, r, &guts.IV, 0)), true
}
