package pieces

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// CreateOptions tune Create. The zero value makes a public torrent with no
// trackers, automatic piece length and one hashing worker per CPU.
type CreateOptions struct {
	Trackers     []string // each becomes its own tier, in order
	WebSeeds     []string // BEP 19 url-list; Create fails on one CheckWebSeed refuses
	Private      bool
	PieceLength  int64 // 0 = AutoPieceLength
	Comment      string
	CreatedBy    string
	CreationDate time.Time // zero = omitted, which keeps output reproducible
	Workers      int       // hashing workers; 0 = GOMAXPROCS
	Format       Format    // the zero value is FormatV1
	// Progress, if set, is called after each hashed chunk, never
	// concurrently, with bytes hashed so far.
	Progress func(doneBytes, totalBytes int64)
}

// AutoPieceLength picks the piece length for total bytes: the smallest power
// of two from 16 KiB to 16 MiB that keeps the piece count at or under 2000,
// which lands it between about 1000 and 2000 (fewer for tiny torrents, more
// past 32 GiB where 16 MiB caps it). That keeps the info dict and bitfields
// small without making a single bad piece expensive to refetch.
func AutoPieceLength(total int64) int64 {
	const maxAuto = 16 << 20
	pl := int64(minPieceLength)
	for pl < maxAuto && ceilDiv(total, pl) > 2000 {
		pl *= 2
	}
	return pl
}

// Create makes a torrent of the file or folder at path in opts.Format,
// hashing on all cores: SHA-1 pieces for v1 and hybrid, with a BLAKE3
// digest per file (see the package doc); for v2 and hybrid, each file's
// SHA-256 Merkle tree, its root in the file tree and its piece layer in
// the torrent, and for hybrid BEP 47 pad files so that each file starts on
// a piece in the v1 half too. Output is deterministic for the same content
// and options.
//
// Folder rules: files are ordered by path, compared component by component
// in byte order; symlinks are followed, to files and folders inside or
// outside the folder (the user placed them to share what they show), except
// a link back up its own path, which would loop, and a dangling one; special
// files (devices, FIFOs, sockets) are skipped; hidden files are included; empty files are included; empty
// directories vanish (BEP 3 cannot express them). A name that a downloader
// would refuse (see ParseInfo) fails Create instead of being skipped. An
// empty folder, or one with only empty files, fails with ErrNothingToShare.
// path itself may be a symlink; it is followed.
func Create(ctx context.Context, path string, opts CreateOptions) (*Torrent, error) {
	for _, u := range opts.WebSeeds {
		if err := CheckWebSeed(u); err != nil {
			return nil, fmt.Errorf("web seed %q: %w", u, err)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(abs)
	if err := checkComponent(name); err != nil {
		return nil, fmt.Errorf("create %s: name: %w", path, err)
	}
	var files []srcFile
	switch {
	case st.Mode().IsRegular():
		files = []srcFile{{abs: abs, size: st.Size()}}
	case st.IsDir():
		if files, err = walkFolder(abs); err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	default:
		return nil, fmt.Errorf("create %s: not a regular file or folder (%v)", path, st.Mode().Type())
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("create %s: %w: the folder has no regular files", path, ErrNothingToShare)
	}
	if total == 0 {
		return nil, fmt.Errorf("create %s: %w: every file is empty", path, ErrNothingToShare)
	}
	pl := opts.PieceLength
	if pl == 0 {
		pl = AutoPieceLength(total)
	}
	if pl <= 0 || pl > MaxPieceLength || pl%minPieceLength != 0 {
		return nil, fmt.Errorf("create %s: piece length %d: want a multiple of %d up to %d", path, pl, minPieceLength, MaxPieceLength)
	}
	if opts.Format != FormatV1 {
		if err := checkV2PieceLength(pl); err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		// v2 hashes each file's own tree, so each starts on a piece; the
		// v1 half of a hybrid sees the same layout through pad files.
		files = withPads(files, pl)
		total = 0
		for _, f := range files {
			total += f.size
		}
	}
	if n := ceilDiv(total, pl); n > MaxPieces {
		return nil, fmt.Errorf("create %s: %d pieces, limit %d: use a larger piece length", path, n, MaxPieces)
	}
	want := hashWant{sha1: opts.Format != FormatV2, sha256: opts.Format != FormatV1, blake3: opts.Format != FormatV2}
	h, err := hashFiles(ctx, files, total, pl, opts.Workers, want, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	var raw []byte
	var layers map[Hash32][]Hash32
	if opts.Format == FormatV1 {
		raw, err = encodeInfo(name, st.IsDir(), files, pl, opts.Private, h)
	} else {
		raw, layers, err = encodeInfoV2(name, st.IsDir(), files, pl, opts, h)
	}
	if err != nil {
		return nil, err
	}
	info, err := ParseInfo(raw)
	if err != nil {
		return nil, fmt.Errorf("create %s: made an invalid torrent: %w", path, err)
	}
	t := &Torrent{InfoBytes: raw, Info: info, Comment: opts.Comment, CreatedBy: opts.CreatedBy, WebSeeds: webSeeds(opts.WebSeeds)}
	t.InfoHash = sha1Sum(raw)
	t.PieceLayers = layers
	t.setV2()
	for _, tr := range opts.Trackers {
		if tr != "" {
			t.Announce = append(t.Announce, []string{tr})
		}
	}
	if !opts.CreationDate.IsZero() {
		t.CreationDate = opts.CreationDate.Truncate(time.Second).UTC()
	}
	return t, nil
}

// srcFile is one file to share, or a pad file of zeros.
type srcFile struct {
	abs  string
	rel  []string // components under the folder; nil for a single file
	size int64
	pad  bool // BEP 47 pad: size zero bytes, read from nowhere
}

// walkFolder lists the regular files under root, following symlinks the
// user placed (to files or folders, inside or outside root): sharing a
// folder means sharing what its links show. A link that loops back to a
// folder on its own path, or leads nowhere, is skipped.
func walkFolder(root string) ([]srcFile, error) {
	var files []srcFile
	var walk func(dir string, rel []string, onPath []os.FileInfo) error
	walk = func(dir string, rel []string, onPath []os.FileInfo) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, d := range entries {
			p := filepath.Join(dir, d.Name())
			comps := append(slices.Clip(rel), d.Name())
			name := strings.Join(comps, "/")
			if err := checkComponent(d.Name()); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(comps) > MaxPathDepth {
				return fmt.Errorf("%s: nested deeper than %d", name, MaxPathDepth)
			}
			fi, err := os.Stat(p) // follows links
			if err != nil {
				if d.Type()&fs.ModeSymlink != 0 {
					continue // a dangling link shares nothing
				}
				return err
			}
			switch {
			case fi.IsDir():
				if slices.ContainsFunc(onPath, func(o os.FileInfo) bool { return os.SameFile(o, fi) }) {
					continue // a link back up its own path would loop
				}
				if err := walk(p, comps, append(slices.Clip(onPath), fi)); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				if len(files) == MaxFiles {
					return fmt.Errorf("more than %d files", MaxFiles)
				}
				files = append(files, srcFile{abs: p, rel: comps, size: fi.Size()})
			}
		}
		return nil
	}
	top, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	err = walk(root, nil, []os.FileInfo{top})
	slices.SortFunc(files, func(a, b srcFile) int { return slices.Compare(a.rel, b.rel) })
	return files, err
}

// createFile and createInfo list their keys in bencode's sorted order.
type createFile struct {
	Attr   string   `bencode:"attr,omitempty"`
	Blake3 []byte   `bencode:"blake3,omitempty"`
	Length int64    `bencode:"length"`
	Path   []string `bencode:"path"`
}

type createInfo struct {
	Blake3      []byte         `bencode:"blake3,omitempty"`
	FileTree    map[string]any `bencode:"file tree,omitempty"`
	Files       []createFile   `bencode:"files,omitempty"`
	Length      int64          `bencode:"length,omitempty"`
	MetaVersion int64          `bencode:"meta version,omitempty"`
	Name        string         `bencode:"name"`
	PieceLength int64          `bencode:"piece length"`
	Pieces      []byte         `bencode:"pieces,omitempty"`
	Private     int64          `bencode:"private,omitempty"`
}

func encodeInfo(name string, folder bool, files []srcFile, pl int64, private bool, h *hashResult) ([]byte, error) {
	ci := createInfo{Name: name, PieceLength: pl, Pieces: joinHashes(h.pieces)}
	if private {
		ci.Private = 1
	}
	if folder {
		for k, f := range files {
			ci.Files = append(ci.Files, createFile{Blake3: h.blake3[k][:], Length: f.size, Path: f.rel})
		}
	} else {
		ci.Length, ci.Blake3 = files[0].size, h.blake3[0][:]
	}
	raw, err := bencode.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encode info: %w", err)
	}
	return raw, nil
}
