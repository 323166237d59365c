package pieces

import (
	"fmt"
	"strconv"

	"github.com/anacrolix/torrent/bencode"
)

// Format is the kind of torrent Create makes.
type Format int

const (
	FormatV1     Format = iota // BEP 3: SHA-1 pieces (and shoal's BLAKE3 digests)
	FormatV2                   // BEP 52 only: per-file SHA-256 Merkle trees
	FormatHybrid               // both, describing the same files: any client can join
)

// Formats lists the names ParseFormat takes, in Format order.
var Formats = []string{"v1", "v2", "hybrid"}

func (f Format) String() string {
	if f >= 0 && int(f) < len(Formats) {
		return Formats[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat reads "v1", "v2" or "hybrid".
func ParseFormat(s string) (Format, error) {
	for k, name := range Formats {
		if s == name {
			return Format(k), nil
		}
	}
	return 0, fmt.Errorf("format %q: want v1, v2 or hybrid", s)
}

// withPads puts a pad file after each file that does not end on a piece,
// but the last (BEP 47 recommends no tail pad: it would only make clients
// that ignore the attribute write it to disk).
func withPads(files []srcFile, pl int64) []srcFile {
	if len(files) == 1 {
		return files
	}
	out := make([]srcFile, 0, 2*len(files))
	for k, f := range files {
		out = append(out, f)
		if r := f.size % pl; r != 0 && k < len(files)-1 {
			out = append(out, srcFile{rel: []string{".pad", strconv.FormatInt(pl-r, 10)}, size: pl - r, pad: true})
		}
	}
	return out
}

// encodeInfoV2 renders a v2 or hybrid info dict (files holds pad files)
// and returns the piece layers of the files longer than a piece.
func encodeInfoV2(name string, folder bool, files []srcFile, pl int64, opts CreateOptions, h *hashResult) ([]byte, map[Hash32][]Hash32, error) {
	ci := createInfo{Name: name, PieceLength: pl, MetaVersion: 2, FileTree: map[string]any{}}
	if opts.Private {
		ci.Private = 1
	}
	hybrid := opts.Format == FormatHybrid
	if hybrid {
		ci.Pieces = joinHashes(h.pieces)
	}
	layers := map[Hash32][]Hash32{}
	for k, f := range files {
		if f.pad {
			if hybrid {
				ci.Files = append(ci.Files, createFile{Attr: "p", Length: f.size, Path: f.rel})
			}
			continue
		}
		entry := map[string]any{"length": f.size}
		if f.size > 0 {
			root := FileRoot(h.leaves[k])
			entry["pieces root"] = root[:]
			if layer := PieceLayer(h.leaves[k], pl); layer != nil {
				layers[root] = layer
			}
		}
		path := f.rel
		if !folder {
			path = []string{name}
		}
		node := ci.FileTree
		for _, c := range path[:len(path)-1] {
			sub, ok := node[c].(map[string]any)
			if !ok {
				sub = map[string]any{}
				node[c] = sub
			}
			node = sub
		}
		node[path[len(path)-1]] = map[string]any{"": entry}
		if hybrid && folder {
			ci.Files = append(ci.Files, createFile{Blake3: h.blake3[k][:], Length: f.size, Path: f.rel})
		}
	}
	if hybrid && !folder {
		ci.Length, ci.Blake3 = files[0].size, h.blake3[0][:]
	}
	raw, err := bencode.Marshal(ci)
	if err != nil {
		return nil, nil, fmt.Errorf("encode info: %w", err)
	}
	return raw, layers, nil
}
