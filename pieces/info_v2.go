package pieces

import (
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/anacrolix/torrent/bencode"
)

// treeFile is one file of a BEP 52 file tree, in tree order.
type treeFile struct {
	path   []string
	length int64
	root   []byte // nil for an empty file
}

// parseFileTree walks a "file tree" dict. Files come in the order of their
// sorted keys, which is the order of BEP 52 (and of v1 files in a hybrid).
func parseFileTree(raw []byte) ([]treeFile, error) {
	var out []treeFile
	var total int64
	var walk func(raw []byte, path []string) error
	walk = func(raw []byte, path []string) error {
		shown := joinPath(path)
		var node map[string]bencode.Bytes
		if err := bencode.Unmarshal(raw, &node); err != nil {
			return badf("file tree %q: not a dict: %v", shown, err)
		}
		if leaf, ok := node[""]; ok {
			if len(path) == 0 {
				return badf("file tree is a file, not a folder")
			}
			if len(node) != 1 {
				return badf("file tree %q is both a file and a folder", shown)
			}
			var e struct {
				Length *int64 `bencode:"length"`
				Root   []byte `bencode:"pieces root,omitempty"`
			}
			if err := bencode.Unmarshal(leaf, &e); err != nil {
				return badf("file tree %q: %v", shown, err)
			}
			switch {
			case e.Length == nil:
				return badf("file tree %q has no length", shown)
			case *e.Length < 0:
				return badf("file tree %q: length %d is negative", shown, *e.Length)
			case total > math.MaxInt64/2-*e.Length:
				// Half the range leaves room for the pad files that align
				// each file to a piece.
				return badf("file tree %q: total length overflows", shown)
			case *e.Length > 0 && e.Root == nil:
				return badf("file tree %q has no pieces root", shown)
			case *e.Length > 0 && len(e.Root) != 32:
				return badf("file tree %q: pieces root is %d bytes, want 32", shown, len(e.Root))
			case len(out) == MaxFiles:
				return badf("file tree has more than %d files", MaxFiles)
			}
			if *e.Length == 0 {
				e.Root = nil // an empty file has no tree
			}
			total += *e.Length
			out = append(out, treeFile{path: path, length: *e.Length, root: e.Root})
			return nil
		}
		if len(node) == 0 {
			return badf("file tree folder %q is empty", shown)
		}
		if len(path) == MaxPathDepth {
			return badf("file tree %q is nested deeper than %d", shown, MaxPathDepth)
		}
		keys := make([]string, 0, len(node))
		for k := range node {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sub := append(slices.Clip(path), k)
			if err := checkComponent(k); err != nil {
				return badf("file tree path %q: %w", joinPath(sub), err)
			}
			if err := walk(node[k], sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(raw, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// checkV2PieceLength: BEP 52 piece lengths are powers of two of 16 KiB or
// more, so that a piece is one node of every file's tree.
func checkV2PieceLength(pl int64) error {
	if pl < BlockSize || bits.OnesCount64(uint64(pl)) != 1 {
		return badf("piece length %d: a v2 torrent needs a power of two of at least 16 KiB", pl)
	}
	return nil
}

// v2OnlyInfo lays the files of a v2-only torrent out as the v1 half of a
// hybrid would: each file starts on a piece, after a pad file. One file at
// the top named like the torrent is a single-file torrent.
func v2OnlyInfo(name string, pl int64, private bool, tree []treeFile) (*Info, error) {
	info := &Info{Name: name, PieceLength: pl, Private: private, MetaVersion: 2}
	if len(tree) == 1 && len(tree[0].path) == 1 && tree[0].path[0] == name {
		tree[0].path = nil
	}
	var off int64
	for k, f := range tree {
		info.Files = append(info.Files, File{Path: f.path, Length: f.length, Offset: off, Root: f.root})
		off += f.length
		if r := f.length % pl; r != 0 && k < len(tree)-1 {
			info.Files = append(info.Files, padFile(pl-r, off))
			off += pl - r
		}
	}
	info.Length = off
	if info.Length == 0 {
		return nil, badf("torrent is empty (0 bytes)")
	}
	if n := ceilDiv(info.Length, pl); n > MaxPieces {
		return nil, badf("%d pieces, limit %d", n, MaxPieces)
	}
	return info, nil
}

// padFile is a BEP 47 pad file named as libtorrent names them.
func padFile(length, offset int64) File {
	return File{Path: []string{".pad", strconv.FormatInt(length, 10)}, Length: length, Offset: offset, Padding: true}
}

// matchHybrid checks that the v1 half of a hybrid torrent (info, already
// validated) describes the same files as its file tree, in the same order,
// each non-empty one starting on a piece, and gives each file its root.
func matchHybrid(info *Info, tree []treeFile) error {
	if len(info.Files) == 1 && info.Files[0].Path == nil {
		if len(tree) != 1 || !slices.Equal(tree[0].path, []string{info.Name}) || tree[0].length != info.Length {
			return badf("hybrid: the v1 half is the single file %q (%d bytes) but the file tree is not", info.Name, info.Length)
		}
		info.Files[0].Root = tree[0].root
		info.MetaVersion = 2
		return nil
	}
	j := 0
	for k := range info.Files {
		f := &info.Files[k]
		if f.Padding {
			continue
		}
		shown := joinPath(f.Path)
		if j == len(tree) {
			return badf("hybrid: v1 file %d %q is not in the file tree", k, shown)
		}
		if v2 := tree[j]; !slices.Equal(v2.path, f.Path) || v2.length != f.Length {
			return badf("hybrid: v1 file %d %q (%d bytes) differs from v2 file %q (%d bytes)", k, shown, f.Length, joinPath(v2.path), v2.length)
		}
		if f.Length > 0 && f.Offset%info.PieceLength != 0 {
			return badf("hybrid: v1 file %d %q does not start on a piece (no pad file before it)", k, shown)
		}
		f.Root = tree[j].root
		j++
	}
	if j != len(tree) {
		return badf("hybrid: v2 file %q is not in the v1 files", joinPath(tree[j].path))
	}
	info.MetaVersion = 2
	return nil
}
