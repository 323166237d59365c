package pieces

import (
	"testing"

	"github.com/zeebo/blake3"
)

// BenchmarkBlake3_WritePath is the write path's cost: a 1 MiB piece of a
// file, hashed 16 KiB block by block, against hashing the same bytes in
// one pass as the read pass does.
func BenchmarkBlake3_WritePath(b *testing.B) {
	info, stream := makeInfo(b, "b3", 1<<20, layoutFiles([]int{8 << 20}))
	withBlake3(info, stream)
	b.Run("pieces", func(b *testing.B) {
		b.SetBytes(1 << 20)
		for i := range b.N {
			p := i % info.NumPieces()
			h := NewPieceHasher(info, p)
			buf := stream[info.PieceOffset(p) : info.PieceOffset(p)+info.PieceSize(p)]
			for off := 0; off < len(buf); off += BlockSize {
				h.Write(buf[off : off+BlockSize])
			}
			h.Sum()
		}
	})
	b.Run("readpass", func(b *testing.B) {
		b.SetBytes(1 << 20)
		h := blake3.New()
		for i := range b.N {
			p := i % info.NumPieces()
			h.Write(stream[info.PieceOffset(p) : info.PieceOffset(p)+info.PieceSize(p)])
		}
	})
}
