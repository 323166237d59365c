package swarm

// maxOpenRuns bounds the runs a disk goroutine builds at once, one per
// piece. With several peers, their pieces' blocks interleave in its queue;
// built one at a time, a run was cut at every switch, and a quarter of a
// three-seed download went through the page cache in runs too short to
// write direct.
const maxOpenRuns = 4

// A diskRun is contiguous blocks of one piece, to be written with one
// call. The disk goroutine owns it.
type diskRun struct {
	blocks []diskBlock
	off    int64
	direct bool // its piece is hashed as it comes, so it is never read back
}

func (r *diskRun) end() int64 { return r.off + int64(len(r.blocks))*blockSize }

// held reports whether r should wait for more blocks (holdFor) rather
// than be written now: a short O_DIRECT write costs far more per byte.
func (c *content) held(r *diskRun) bool {
	return r.direct && !c.runEndsPiece(r.blocks) && len(r.blocks)*blockSize < maxDirectRun
}

// full reports whether r takes no block after its last: the block would
// not follow on, r is as long as a write goes, or r ends in a short block.
func (r *diskRun) full(off int64) bool {
	limit := maxRun
	if r.direct {
		limit = maxDirectRun
	}
	n := len(r.blocks)
	return off != r.end() || n*blockSize >= limit || r.blocks[n-1].b.Length != blockSize
}

// runOf returns the index of piece's open run in open, or -1.
func runOf(open []*diskRun, piece int) int {
	for i, r := range open {
		if r.blocks[0].b.Piece == piece {
			return i
		}
	}
	return -1
}
