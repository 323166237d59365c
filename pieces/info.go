package pieces

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/anacrolix/torrent/bencode"
)

// Index is a piece index.
type Index = int

// Limits enforced by ParseInfo on anything that arrives from outside.
const (
	minPieceLength = 16 << 10 // the request size; piece lengths are multiples of it
	MaxPieceLength = 64 << 20
	MaxInfoBytes   = 16 << 20 // raw bencoded info dict
	MaxPieces      = 2_000_000
	MaxFiles       = 100_000
	MaxPathDepth   = 64  // components per file path
	MaxNameBytes   = 255 // bytes per path component (a common filesystem limit)
)

// Info is a validated info dict: v1, v2 (BEP 52) or hybrid (both).
type Info struct {
	Name        string
	PieceLength int64
	Hashes      [][20]byte // one SHA-1 per piece; nil for a v2-only torrent
	Private     bool
	Files       []File // always >= 1; a single-file torrent has one File with Path == nil
	Length      int64  // total
	// MetaVersion is 2 for a v2-only or hybrid torrent, whose non-empty
	// files carry their Merkle Root, else 1. A v2-only torrent's Files are
	// laid out as a hybrid's would be: pad files (Padding) align each file
	// to a piece, so pieces, offsets and storage work alike for all three.
	MetaVersion int
}

// File is one file of a torrent, in torrent order.
type File struct {
	Path   []string // components under Name; nil for a single-file torrent
	Length int64
	Offset int64  // start in the torrent's byte stream
	Blake3 []byte // 32 bytes, or nil when the torrent does not carry it
	// Padding marks a BEP 47 pad file (attr "p"): zeros that align the next
	// file to a piece. Storage never puts it on disk: reads give zeros and
	// writes are dropped. Pad files are left out of the duplicate-path check
	// because libtorrent names them ".pad/<size>", which repeats.
	Padding bool
	// Root is the BEP 52 "pieces root" (32 bytes), the SHA-256 Merkle root
	// of the file's 16 KiB blocks, in a v2 or hybrid torrent; nil for an
	// empty file, a pad file, or a v1 torrent.
	Root []byte
}

// NumPieces is the number of pieces.
func (i *Info) NumPieces() int { return int(ceilDiv(i.Length, i.PieceLength)) }

// HasV1 reports whether the torrent has SHA-1 piece hashes (v1 or hybrid).
func (i *Info) HasV1() bool { return i.Hashes != nil }

// HasV2 reports whether the torrent has BEP 52 file roots (v2 or hybrid).
func (i *Info) HasV2() bool { return i.MetaVersion == 2 }

// PieceOffset is where piece p starts in the torrent's byte stream.
func (i *Info) PieceOffset(p Index) int64 { return int64(p) * i.PieceLength }

// PieceSize is the length of piece p; only the last piece may be short.
func (i *Info) PieceSize(p Index) int64 {
	if n := i.NumPieces(); p < 0 || p >= n {
		panic(fmt.Sprintf("pieces: piece %d out of range [0,%d)", p, n))
	}
	return min(i.PieceLength, i.Length-i.PieceOffset(p))
}

// FilesOf returns the files [first, end) that overlap piece p. The first
// and last of them are never zero-length files (those own no bytes); empty
// files that sit strictly inside the piece do fall in the range, and callers
// that loop over it should simply find nothing to do for them.
func (i *Info) FilesOf(p Index) (first, end int) {
	start := i.PieceOffset(p)
	stop := start + i.PieceSize(p)
	first = sort.Search(len(i.Files), func(k int) bool {
		f := i.Files[k]
		return f.Offset+f.Length > start
	})
	end = sort.Search(len(i.Files), func(k int) bool {
		return i.Files[k].Offset >= stop
	})
	return first, max(first, end)
}

// PiecesOf returns the pieces [first, end) that overlap file f; empty for a
// zero-length file.
func (i *Info) PiecesOf(f int) (first, end Index) {
	file := i.Files[f]
	if file.Length == 0 {
		p := Index(file.Offset / i.PieceLength)
		return p, p
	}
	first = Index(file.Offset / i.PieceLength)
	end = Index(ceilDiv(file.Offset+file.Length, i.PieceLength))
	return first, end
}

// rawInfo is the info dict as bencoded. Pointers tell absent keys apart.
type rawInfo struct {
	Name        *string       `bencode:"name"`
	PieceLength *int64        `bencode:"piece length"`
	Pieces      *[]byte       `bencode:"pieces"`
	Private     *int64        `bencode:"private,omitempty"`
	Length      *int64        `bencode:"length,omitempty"`
	Files       *[]rawFile    `bencode:"files,omitempty"`
	Blake3      []byte        `bencode:"blake3,omitempty"`
	MetaVersion *int64        `bencode:"meta version,omitempty"`
	FileTree    bencode.Bytes `bencode:"file tree,omitempty"`
}

type rawFile struct {
	Length *int64    `bencode:"length"`
	Path   *[]string `bencode:"path"`
	Blake3 []byte    `bencode:"blake3,omitempty"`
	Attr   string    `bencode:"attr,omitempty,ignore_unmarshal_type_error"`
}

// ParseInfo decodes and validates a bencoded info dict, such as one fetched
// from peers. Errors wrap ErrBadTorrent, and ErrUnsafePath for paths.
func ParseInfo(raw []byte) (*Info, error) {
	if len(raw) > MaxInfoBytes {
		return nil, badf("info dict is %d bytes, limit %d", len(raw), MaxInfoBytes)
	}
	if len(raw) == 0 || raw[0] != 'd' {
		return nil, badf("info is not a dict")
	}
	if err := checkBencode(raw, maxBencodeDepth); err != nil {
		return nil, badf("info: %v", err)
	}
	var ri rawInfo
	dec := bencode.NewDecoder(bytes.NewReader(raw))
	dec.MaxDepth = maxBencodeDepth
	dec.MaxStrLen = MaxInfoBytes
	if err := dec.Decode(&ri); err != nil {
		return nil, badf("info: %v", err)
	}
	return ri.validate()
}

func (ri *rawInfo) validate() (*Info, error) {
	if ri.Name == nil {
		return nil, badf("info has no name")
	}
	if err := checkComponent(*ri.Name); err != nil {
		return nil, badf("name %q: %w", *ri.Name, err)
	}
	if ri.PieceLength == nil {
		return nil, badf("info has no piece length")
	}
	pl := *ri.PieceLength
	if pl <= 0 || pl > MaxPieceLength || pl%minPieceLength != 0 {
		return nil, badf("piece length %d: want a multiple of %d up to %d", pl, minPieceLength, MaxPieceLength)
	}
	private := ri.Private != nil && *ri.Private == 1
	// A file tree without "meta version" 2 is not v2: it is ignored, like
	// any unknown key, and the torrent is read as v1.
	var tree []treeFile
	if ri.MetaVersion != nil {
		if *ri.MetaVersion != 2 {
			return nil, badf("meta version %d: only 2 (BEP 52) is known", *ri.MetaVersion)
		}
		if ri.FileTree == nil {
			return nil, badf("meta version 2 but no file tree")
		}
		if err := checkV2PieceLength(pl); err != nil {
			return nil, err
		}
		var err error
		if tree, err = parseFileTree(ri.FileTree); err != nil {
			return nil, err
		}
	}
	if ri.Pieces == nil {
		if tree == nil {
			return nil, badf("info has no pieces")
		}
		return v2OnlyInfo(*ri.Name, pl, private, tree)
	}
	info := &Info{Name: *ri.Name, PieceLength: pl, Private: private, MetaVersion: 1}
	switch {
	case ri.Length != nil && ri.Files != nil:
		return nil, badf("info has both length and files")
	case ri.Length != nil:
		if *ri.Length < 0 {
			return nil, badf("length %d is negative", *ri.Length)
		}
		if err := checkBlake3(ri.Blake3); err != nil {
			return nil, badf("blake3: %v", err)
		}
		info.Files = []File{{Length: *ri.Length, Blake3: ri.Blake3}}
		info.Length = *ri.Length
	case ri.Files != nil:
		files, total, err := validateFiles(*ri.Files)
		if err != nil {
			return nil, err
		}
		info.Files, info.Length = files, total
	default:
		return nil, badf("info has neither length nor files")
	}
	if info.Length == 0 {
		return nil, badf("torrent is empty (0 bytes)")
	}
	want := ceilDiv(info.Length, pl)
	if want > MaxPieces {
		return nil, badf("%d pieces, limit %d", want, MaxPieces)
	}
	if p := int64(len(*ri.Pieces)); p%20 != 0 || p/20 != want {
		return nil, badf("pieces is %d bytes, want %d (20 per piece)", p, want*20)
	}
	info.Hashes = make([][20]byte, want)
	for k := range info.Hashes {
		copy(info.Hashes[k][:], (*ri.Pieces)[k*20:])
	}
	if tree != nil {
		if err := matchHybrid(info, tree); err != nil {
			return nil, err
		}
	}
	return info, nil
}

func validateFiles(raw []rawFile) ([]File, int64, error) {
	if len(raw) == 0 {
		return nil, 0, badf("files is empty")
	}
	if len(raw) > MaxFiles {
		return nil, 0, badf("%d files, limit %d", len(raw), MaxFiles)
	}
	files := make([]File, len(raw))
	var total int64
	// paths maps every file path and every directory above one to whether
	// it is a file, so that duplicates and file/directory clashes show up
	// whichever order they come in.
	paths := make(map[string]bool, len(raw)*2)
	for k, rf := range raw {
		if rf.Length == nil {
			return nil, 0, badf("file %d has no length", k)
		}
		if rf.Path == nil {
			return nil, 0, badf("file %d has no path", k)
		}
		length, comps := *rf.Length, *rf.Path
		shown := joinPath(comps)
		if length < 0 {
			return nil, 0, badf("file %d %q: length %d is negative", k, shown, length)
		}
		if total > math.MaxInt64-length {
			return nil, 0, badf("file %d %q: total length overflows", k, shown)
		}
		if err := checkPath(comps); err != nil {
			return nil, 0, badf("file %d path %q: %w", k, shown, err)
		}
		if err := checkBlake3(rf.Blake3); err != nil {
			return nil, 0, badf("file %d %q: blake3: %v", k, shown, err)
		}
		pad := strings.Contains(rf.Attr, "p")
		files[k] = File{Path: comps, Length: length, Offset: total, Blake3: rf.Blake3, Padding: pad}
		total += length
		if pad {
			continue
		}
		for d := 1; d < len(comps); d++ {
			dir := joinPath(comps[:d])
			if paths[dir] {
				return nil, 0, badf("file %d path %q: %q is also a file", k, shown, dir)
			}
			paths[dir] = false
		}
		if isFile, ok := paths[shown]; ok {
			if isFile {
				return nil, 0, badf("file %d path %q: duplicate path", k, shown)
			}
			return nil, 0, badf("file %d path %q: is also a directory", k, shown)
		}
		paths[shown] = true
	}
	return files, total, nil
}

func checkBlake3(b []byte) error {
	if b != nil && len(b) != 32 {
		return fmt.Errorf("%d bytes, want 32", len(b))
	}
	return nil
}

// encode renders info canonically (sorted keys, BLAKE3 digests kept). It is
// how tests check that a parsed Info carries everything its bytes meant.
func (i *Info) encode() []byte {
	type file struct {
		Blake3 []byte   `bencode:"blake3,omitempty"`
		Length int64    `bencode:"length"`
		Path   []string `bencode:"path"`
		Attr   string   `bencode:"attr,omitempty"`
	}
	type dict struct {
		Blake3      []byte `bencode:"blake3,omitempty"`
		Files       []file `bencode:"files,omitempty"`
		Length      *int64 `bencode:"length,omitempty"`
		Name        string `bencode:"name"`
		PieceLength int64  `bencode:"piece length"`
		Pieces      []byte `bencode:"pieces"`
		Private     int64  `bencode:"private,omitempty"`
	}
	d := dict{Name: i.Name, PieceLength: i.PieceLength, Pieces: joinHashes(i.Hashes)}
	if i.Private {
		d.Private = 1
	}
	if len(i.Files) == 1 && i.Files[0].Path == nil {
		d.Length, d.Blake3 = &i.Files[0].Length, i.Files[0].Blake3
	} else {
		for _, f := range i.Files {
			fe := file{Blake3: f.Blake3, Length: f.Length, Path: f.Path}
			if f.Padding {
				fe.Attr = "p"
			}
			d.Files = append(d.Files, fe)
		}
	}
	b, err := bencode.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("pieces: encode info: %v", err))
	}
	return b
}

// ceilDiv is ⌈a/b⌉ for a >= 0, b > 0, without the overflow of (a+b-1)/b.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}
