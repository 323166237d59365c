package pieces

import (
	"crypto/sha256"
	"math/bits"
)

// Hash32 is a SHA-256 digest: a Merkle leaf, node or file root.
type Hash32 = [32]byte

// hashPair is the parent of two Merkle nodes.
func hashPair(a, b Hash32) Hash32 {
	var buf [64]byte
	copy(buf[:32], a[:])
	copy(buf[32:], b[:])
	return sha256.Sum256(buf[:])
}

// nextPow2 is the smallest power of two >= n (1 for n <= 1).
func nextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// merkleRoot is the root of a tree whose bottom layer is nodes padded on
// the right to width (a power of two >= len(nodes)) with pad; each layer up
// pads with the parent of two pads, as BEP 52 asks.
func merkleRoot(nodes []Hash32, width int, pad Hash32) Hash32 {
	if len(nodes) == 0 {
		for ; width > 1; width /= 2 {
			pad = hashPair(pad, pad)
		}
		return pad
	}
	// Each layer is written over the one below it: node k reads 2k and
	// 2k+1, which are never before k.
	nodes = append([]Hash32(nil), nodes...)
	for ; width > 1; width /= 2 {
		n := (len(nodes) + 1) / 2
		for k := range n {
			right := pad
			if 2*k+1 < len(nodes) {
				right = nodes[2*k+1]
			}
			nodes[k] = hashPair(nodes[2*k], right)
		}
		nodes, pad = nodes[:n], hashPair(pad, pad)
	}
	return nodes[0]
}

// BlockLeaves hashes data in 16 KiB blocks: the Merkle leaves of data that
// starts on a block boundary of its file.
func BlockLeaves(data []byte) []Hash32 {
	return appendLeaves(make([]Hash32, 0, (len(data)+BlockSize-1)/BlockSize), data)
}

// appendLeaves is BlockLeaves appending to dst.
func appendLeaves(dst []Hash32, data []byte) []Hash32 {
	for off := 0; off < len(data); off += BlockSize {
		dst = append(dst, sha256.Sum256(data[off:min(len(data), off+BlockSize)]))
	}
	return dst
}

// FileRoot is a file's "pieces root" from all its block leaves: the tree
// is as wide as the next power of two, padded with zero leaves.
func FileRoot(leaves []Hash32) Hash32 {
	return merkleRoot(leaves, nextPow2(len(leaves)), Hash32{})
}

// PieceHashV2 is the piece-layer node over the leaves of one piece of
// pieceLength bytes (a short last piece is padded with zero leaves).
func PieceHashV2(leaves []Hash32, pieceLength int64) Hash32 {
	return merkleRoot(leaves, int(pieceLength/BlockSize), Hash32{})
}

// padPieceHash is the piece-layer node of a piece past a file's end: the
// root of pieceLength/16 KiB zero leaves.
func padPieceHash(pieceLength int64) Hash32 {
	var h Hash32
	for w := pieceLength / BlockSize; w > 1; w /= 2 {
		h = hashPair(h, h)
	}
	return h
}

// LayerRoot is the root a piece layer hashes to: the layer padded to the
// next power of two with the hash of an all-zero piece.
func LayerRoot(layer []Hash32, pieceLength int64) Hash32 {
	return merkleRoot(layer, nextPow2(len(layer)), padPieceHash(pieceLength))
}

// PieceLayer is the layer of a file from all its block leaves: one node per
// piece of pieceLength. Files of one piece or less have none.
func PieceLayer(leaves []Hash32, pieceLength int64) []Hash32 {
	per := int(pieceLength / BlockSize)
	if len(leaves) <= per {
		return nil
	}
	out := make([]Hash32, 0, (len(leaves)+per-1)/per)
	for k := 0; k < len(leaves); k += per {
		out = append(out, PieceHashV2(leaves[k:min(len(leaves), k+per)], pieceLength))
	}
	return out
}
