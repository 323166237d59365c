package pieces

import (
	"fmt"
	"math/bits"
)

// PieceLayerIndex is the layer of a file's tree that holds one node per
// piece of pieceLength (0 is the 16 KiB leaves): what BEP 52 peers ask
// for as "base layer" to get piece layers.
func PieceLayerIndex(pieceLength int64) uint32 {
	return uint32(bits.TrailingZeros64(uint64(pieceLength / BlockSize)))
}

// ServeHashes answers a hash request for the piece layer of a file from
// that layer (as a .torrent's "piece layers" holds it): the Length nodes
// from Index, padded past the file's end as the tree is, then the uncle
// hashes, bottom up, that prove them against the root. ProofLayers counts
// as libtorrent counts it: the layers above the base layer, less one, so
// that ProofLayers+1-log2(Length) uncles go out (fewer where the root
// comes first; libtorrent rejects a request for more than the tree has).
// Other layers are not kept, so requests for them fail: answer with a
// hash reject.
func ServeHashes(r HashRequest, layer []Hash32, pieceLength int64) ([]Hash32, error) {
	if r.BaseLayer != PieceLayerIndex(pieceLength) {
		return nil, fmt.Errorf("%w: base layer %d: only the piece layer (%d) is kept", ErrBadHashMsg, r.BaseLayer, PieceLayerIndex(pieceLength))
	}
	w := nextPow2(len(layer))
	if uint64(r.Index)+uint64(r.Length) > uint64(w) {
		return nil, fmt.Errorf("%w: hashes [%d,%d) of a layer %d wide", ErrBadHashMsg, r.Index, uint64(r.Index)+uint64(r.Length), w)
	}
	// Every layer from the piece layer up, padded to its width.
	level := make([]Hash32, w)
	pad := padPieceHash(pieceLength)
	for k := range level {
		if k < len(layer) {
			level[k] = layer[k]
		} else {
			level[k] = pad
		}
	}
	out := append([]Hash32(nil), level[r.Index:r.Index+r.Length]...)
	up := bits.TrailingZeros32(r.Length)
	pos := int(r.Index) >> up
	uncles := int(r.ProofLayers) + 1 - up
	for lvl := 0; len(level) > 1; lvl++ {
		if lvl >= up && len(out)-int(r.Length) < uncles {
			out = append(out, level[pos^1])
			pos >>= 1
		}
		next := make([]Hash32, len(level)/2)
		for k := range next {
			next[k] = hashPair(level[2*k], level[2*k+1])
		}
		level = next
	}
	return out, nil
}

// VerifyHashes checks an answer to a request for the piece layer of the
// file with root and length against that root, and returns the piece
// hashes it proves (those past the file's end left out). The answer must
// carry every uncle up to the root (LayerRequests asks for them all).
func VerifyHashes(r HashRequest, hs []Hash32, root Hash32, length, pieceLength int64) ([]Hash32, error) {
	if r.BaseLayer != PieceLayerIndex(pieceLength) {
		return nil, fmt.Errorf("%w: base layer %d is not the piece layer", ErrBadHashMsg, r.BaseLayer)
	}
	n := ceilDiv(length, pieceLength)
	w := nextPow2(int(n))
	if n <= 1 || uint64(r.Index)+uint64(r.Length) > uint64(w) {
		return nil, fmt.Errorf("%w: hashes [%d,+%d) of a layer of %d", ErrBadHashMsg, r.Index, r.Length, n)
	}
	uncles := bits.TrailingZeros(uint(w)) - bits.TrailingZeros32(r.Length)
	if len(hs) != int(r.Length)+uncles {
		return nil, fmt.Errorf("%w: %d hashes, want %d and %d uncles", ErrBadHashMsg, len(hs), r.Length, uncles)
	}
	node := merkleRoot(hs[:r.Length], int(r.Length), Hash32{})
	pos := r.Index / r.Length
	for _, u := range hs[r.Length:] {
		if pos%2 == 0 {
			node = hashPair(node, u)
		} else {
			node = hashPair(u, node)
		}
		pos /= 2
	}
	if node != root {
		return nil, fmt.Errorf("%w: hashes do not prove the root %x", ErrBadHashMsg, root[:8])
	}
	end := min(int64(r.Index)+int64(r.Length), n)
	if int64(r.Index) >= end {
		return nil, nil
	}
	return hs[:end-int64(r.Index)], nil
}

// layerChunk is how many piece hashes one request asks for: libtorrent
// asks for and accepts piece layers in runs of 512.
const layerChunk = 512

// LayerRequests are the hash requests that fetch the piece layer of a file
// of length bytes (longer than a piece) whose root is root: runs of up to
// 512 hashes (the last run as wide as the next power of two of what is
// left, but 2 at least: libtorrent 2.0 answers a run of 1 with the wrong
// uncles), each with every uncle up to the root, so each answer proves
// itself (VerifyHashes).
func LayerRequests(root Hash32, length, pieceLength int64) []HashRequest {
	n := ceilDiv(length, pieceLength)
	if n <= 1 {
		return nil
	}
	height := uint32(bits.TrailingZeros(uint(nextPow2(int(n))))) // layers above the piece layer
	var out []HashRequest
	for i := int64(0); i < n; i += layerChunk {
		count := max(2, min(layerChunk, nextPow2(int(n-i))))
		out = append(out, HashRequest{Root: root, BaseLayer: PieceLayerIndex(pieceLength), Index: uint32(i),
			Length: uint32(count), ProofLayers: height - 1})
	}
	return out
}

// LeafWidth is how many 16 KiB leaves sit under one piece of a file of
// length bytes: a piece's worth, or for a file of one piece or less the
// next power of two of its blocks (its tree is that wide).
func LeafWidth(length, pieceLength int64) int {
	if length > pieceLength {
		return int(pieceLength / BlockSize)
	}
	return nextPow2(int(ceilDiv(length, BlockSize)))
}

// LeafRequest asks for the leaves of piece k of a file (its 16 KiB block
// hashes, zero leaves past the file's end) and no uncles: the answer is
// checked against the piece's node, already known (VerifyLeaves).
func LeafRequest(root Hash32, length, pieceLength int64, k int) HashRequest {
	w := LeafWidth(length, pieceLength)
	return HashRequest{Root: root, BaseLayer: 0, Index: uint32(k * w), Length: uint32(w),
		ProofLayers: uint32(bits.TrailingZeros(uint(w))) - 1}
}

// VerifyLeaves checks the answer to a LeafRequest against node, the
// piece's hash in the piece layer (or the file's root for a file of one
// piece), and returns the leaves.
func VerifyLeaves(r HashRequest, hs []Hash32, node Hash32) ([]Hash32, error) {
	if r.BaseLayer != 0 || len(hs) != int(r.Length) {
		return nil, fmt.Errorf("%w: %d hashes of layer %d for a request of %d leaves", ErrBadHashMsg, len(hs), r.BaseLayer, r.Length)
	}
	if merkleRoot(hs, len(hs), Hash32{}) != node {
		return nil, fmt.Errorf("%w: leaves do not hash to the piece's node %x", ErrBadHashMsg, node[:8])
	}
	return hs, nil
}

// ServeLeaves answers a request for the leaves of one piece (Index on a
// piece's first leaf, Length LeafWidth) from the piece's data as on disk
// (data, read from the file's piece k) and the file's piece layer (nil
// for a file of one piece), with the uncles ProofLayers asks for. It
// fails unless the leaves hash to the piece's node: only verified data is
// vouched for.
func ServeLeaves(r HashRequest, data []byte, k int, layer []Hash32, root Hash32, length, pieceLength int64) ([]Hash32, error) {
	w := LeafWidth(length, pieceLength)
	if r.BaseLayer != 0 || int(r.Length) != w || int(r.Index) != k*w {
		return nil, fmt.Errorf("%w: leaves [%d,+%d): only one piece's leaves at once", ErrBadHashMsg, r.Index, r.Length)
	}
	leaves := BlockLeaves(data)
	if len(leaves) > w {
		return nil, fmt.Errorf("%w: %d bytes are more than one piece", ErrBadHashMsg, len(data))
	}
	leaves = append(leaves, make([]Hash32, w-len(leaves))...)
	node := root
	if layer != nil {
		if k >= len(layer) {
			return nil, fmt.Errorf("%w: piece %d of a layer of %d", ErrBadHashMsg, k, len(layer))
		}
		node = layer[k]
	}
	if merkleRoot(leaves, w, Hash32{}) != node {
		return nil, fmt.Errorf("%w: piece %d does not hash to its node", ErrBadHashMsg, k)
	}
	uncles := int(r.ProofLayers) + 1 - bits.TrailingZeros(uint(w))
	if uncles <= 0 || layer == nil {
		return leaves, nil
	}
	// The rest of the proof is the piece's own, from the piece layer.
	up, err := ServeHashes(HashRequest{BaseLayer: PieceLayerIndex(pieceLength), Index: uint32(k), Length: 1,
		ProofLayers: uint32(uncles - 1)}, layer, pieceLength)
	if err != nil {
		return nil, err
	}
	return append(leaves, up[1:]...), nil
}
