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
