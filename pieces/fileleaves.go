package pieces

import (
	"context"
	"io"
)

// eachChunk reads length bytes from r, len(buf) at a time, and hands
// each chunk to each; ctx is checked between chunks. A read error (a file
// shorter than length gives io.ErrUnexpectedEOF) or ctx's error ends it.
// With buf a multiple of BlockSize, chunks split where a file's Merkle
// leaves do.
func eachChunk(ctx context.Context, r io.Reader, length int64, buf []byte, each func([]byte)) error {
	for off := int64(0); off < length; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), length-off)])
		if err != nil {
			return err
		}
		each(buf[:n])
		off += int64(n)
	}
	return nil
}

// fileLeaves reads a whole file of length bytes from r (see eachChunk)
// and returns its Merkle leaves.
func fileLeaves(ctx context.Context, r io.Reader, length int64, buf []byte) ([]Hash32, error) {
	leaves := make([]Hash32, 0, ceilDiv(length, BlockSize))
	err := eachChunk(ctx, r, length, buf, func(b []byte) { leaves = appendLeaves(leaves, b) })
	return leaves, err
}
