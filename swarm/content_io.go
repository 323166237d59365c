package swarm

import (
	"context"
	"errors"

	"github.com/shoal-bt/shoal/pieces"
)

// The content's answers to its peers' reader and writer goroutines, on
// those goroutines: they read the verified bits (atomic) and the storage,
// and hand blocks to the disk goroutines over their channels.

// store hands a received block to the disk goroutine of its piece; false
// when ctx ended first (the block went back to the pool).
func (c *content) store(ctx context.Context, d diskBlock) bool {
	select {
	case c.diskShard(d.b.Piece) <- d:
		return true
	case <-ctx.Done():
		putBlock(d.buf)
		return false
	}
}

// servable reports whether block b lies in a verified piece.
func (c *content) servable(b pieces.Block) bool {
	return c.has(b.Piece) && int64(b.Begin)+int64(b.Length) <= c.info.PieceSize(b.Piece)
}

// readVerified reads into buf from block first on, for upload. ok is false
// when the piece was withdrawn, or when its file changed under us (changed
// names the file, -1 otherwise): the peer did nothing wrong either way.
func (c *content) readVerified(buf []byte, first pieces.Block) (ok bool, changed int, err error) {
	if _, err := c.storage.ReadVerifiedAt(buf, c.info.PieceOffset(first.Piece)+int64(first.Begin)); err != nil {
		var fc *pieces.FileChangedError
		if errors.As(err, &fc) {
			return false, fc.File, nil
		}
		return false, -1, err
	}
	if !c.has(first.Piece) {
		return false, -1, nil // withdrawn since it was queued, maybe because of what we just read
	}
	if c.env.hooks.corruptUploads {
		for k := range buf {
			buf[k] ^= 0x5a
		}
	}
	return true, -1, nil
}
