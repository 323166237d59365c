package pieces

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// InfoHashV2 is the BEP 52 infohash: SHA-256 of the bencoded info dict.
func InfoHashV2(infoBytes []byte) Hash32 { return sha256.Sum256(infoBytes) }

// Truncated is a v2 infohash cut to 20 bytes: what a v2 torrent uses in
// handshakes, tracker announces and the DHT.
func Truncated(ih Hash32) [20]byte {
	var out [20]byte
	copy(out[:], ih[:20])
	return out
}

// layeredFiles maps each root that needs a piece layer (a file longer than
// one piece) to its file's length.
func layeredFiles(info *Info) (map[Hash32]int64, error) {
	out := map[Hash32]int64{}
	for k, f := range info.Files {
		if f.Root == nil || f.Length <= info.PieceLength {
			continue
		}
		root := Hash32(f.Root)
		if n, ok := out[root]; ok && n != f.Length {
			// One root is one content: two lengths mean one of them lies.
			return nil, badf("file %d %q has the pieces root of a file of another length", k, joinPath(f.Path))
		}
		out[root] = f.Length
	}
	return out, nil
}

// parseLayers validates a torrent's "piece layers" against info's roots:
// each layer must belong to a file longer than a piece, have one hash per
// piece of it and hash up to its root. Layers may be missing: a client
// then fetches them from peers (BEP 52 hash requests).
func parseLayers(info *Info, raw map[string][]byte) (map[Hash32][]Hash32, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !info.HasV2() {
		return nil, nil // a v1 torrent's stray key means nothing
	}
	need, err := layeredFiles(info)
	if err != nil {
		return nil, err
	}
	out := make(map[Hash32][]Hash32, len(raw))
	for key, b := range raw {
		if len(key) != 32 {
			return nil, badf("piece layers: key of %d bytes, want a 32-byte pieces root", len(key))
		}
		root := Hash32([]byte(key))
		length, ok := need[root]
		if !ok {
			return nil, badf("piece layers: root %s is not the root of any file longer than a piece", hex.EncodeToString(root[:]))
		}
		layer, err := CheckLayer(root, length, info.PieceLength, b)
		if err != nil {
			return nil, err
		}
		out[root] = layer
	}
	return out, nil
}

// CheckLayer checks a piece layer (concatenated hashes, as in a .torrent or
// a BEP 52 hashes message) of a file of length bytes against its root.
// Errors wrap ErrBadTorrent.
func CheckLayer(root Hash32, length, pieceLength int64, b []byte) ([]Hash32, error) {
	shown := hex.EncodeToString(root[:])
	n := ceilDiv(length, pieceLength)
	if int64(len(b)) != 32*n {
		return nil, badf("piece layer of root %s is %d bytes, want %d (32 per piece)", shown, len(b), 32*n)
	}
	layer := make([]Hash32, n)
	for k := range layer {
		copy(layer[k][:], b[32*k:])
	}
	if LayerRoot(layer, pieceLength) != root {
		return nil, badf("piece layer of root %s does not hash to that root", shown)
	}
	return layer, nil
}

// encodeLayers renders layers as the "piece layers" dict.
func encodeLayers(layers map[Hash32][]Hash32) map[string][]byte {
	if len(layers) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(layers))
	for root, layer := range layers {
		b := make([]byte, 0, 32*len(layer))
		for _, h := range layer {
			b = append(b, h[:]...)
		}
		out[string(root[:])] = b
	}
	return out
}

// HasAllLayers reports whether every file longer than a piece has its
// piece layer (always true for a v1 torrent).
func (t *Torrent) HasAllLayers() bool {
	need, err := layeredFiles(t.Info)
	if err != nil {
		return false
	}
	for root := range need {
		if t.PieceLayers[root] == nil {
			return false
		}
	}
	return true
}

// LayerOf reads a file of length bytes from r and returns its piece layer
// when its bytes hash to root, nil when they do not (or end early): a
// seed's data vouches for the layer a .torrent lacks. It reads the whole
// file; ctx stops it.
func LayerOf(ctx context.Context, r io.Reader, length, pieceLength int64, root Hash32) ([]Hash32, error) {
	buf := getBuf(1 << 20)
	defer putBuf(buf)
	leaves, err := fileLeaves(ctx, r, length, *buf)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err != nil || FileRoot(leaves) != root {
		return nil, nil // unreadable, shorter than the torrent says, or other bytes: not this file
	}
	return PieceLayer(leaves, pieceLength), nil
}
