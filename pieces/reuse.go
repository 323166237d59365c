package pieces

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/zeebo/blake3"
)

// KnownFile is a file on disk whose identity its torrent states: a file of
// a torrent the user already shares, so finding it costs no hashing. The
// bytes are checked again once placed, as every piece is.
type KnownFile struct {
	Path   string // on disk
	Length int64
	Root   []byte // BEP 52 pieces root, or nil
	Blake3 []byte // shoal's per-file BLAKE3 digest, or nil
}

// ReuseFrom says where a reused file's bytes were found.
type ReuseFrom int

const (
	FromLibrary ReuseFrom = iota // a torrent the user already shares (KnownFile)
	FromFolder                   // a folder the user named (--reuse)
)

// ReuseMatch is a wanted file of a torrent and a file on disk with its
// identity.
type ReuseMatch struct {
	File int    // index in Info.Files
	Src  string // the file holding its bytes
	From ReuseFrom
	// Hashed: Src's bytes were hashed here and matched; a KnownFile's are
	// not (its torrent vouches for it), unless ReuseQuery.HashKnown.
	Hashed bool
}

// ReuseQuery is what FindReuse looks for and where.
type ReuseQuery struct {
	Info *Info
	Want func(f int) bool // files to look for (the caller leaves out those on disk)
	// Known files are matched by length and identity, without reading
	// them unless HashKnown (a hard link, which must never join a file to
	// one whose bytes differ).
	Known     []KnownFile
	HashKnown bool
	// Dirs are walked for regular files whose length is a wanted file's;
	// only those are read. Symbolic links are not followed, not even to a
	// file in the folder (that file is found on its own): a link could
	// lead anywhere, and the user named the folder, not what its links
	// point to.
	Dirs []string
}

// identity is what a file must match: its root or its digest.
type identity struct{ root, blake3 []byte }

func (id identity) empty() bool { return id.root == nil && id.blake3 == nil }

// FindReuse returns, for each wanted file that has an identity (a v2 root
// or a BLAKE3 digest) and a non-zero length, the first file found with the
// same length and identity: among q.Known first, then under q.Dirs. The
// error is for cancellation and for a folder that cannot be walked at all;
// files that cannot be read are skipped.
func FindReuse(ctx context.Context, q ReuseQuery) ([]ReuseMatch, error) {
	byLen := map[int64][]int{} // wanted files still unmatched, by length
	for f, file := range q.Info.Files {
		if file.Padding || file.Length == 0 || (file.Root == nil && file.Blake3 == nil) || !q.Want(f) {
			continue
		}
		byLen[file.Length] = append(byLen[file.Length], f)
	}
	var out []ReuseMatch
	take := func(f int, m ReuseMatch) {
		out = append(out, m)
		left := byLen[q.Info.Files[f].Length]
		for i, g := range left {
			if g == f {
				byLen[q.Info.Files[f].Length] = append(left[:i:i], left[i+1:]...)
				break
			}
		}
		if len(byLen[q.Info.Files[f].Length]) == 0 {
			delete(byLen, q.Info.Files[f].Length)
		}
	}
	// One file found serves every wanted file with its identity (a torrent
	// may hold the same bytes twice).
	for _, k := range q.Known {
		hashed := false
		for _, f := range slices.Clone(byLen[k.Length]) {
			if !sameIdentity(q.Info.Files[f], identity{k.Root, k.Blake3}) {
				continue
			}
			if q.HashKnown && !hashed {
				if id, err := hashFile(ctx, k.Path, k.Length, q.Info.Files[f], true); err != nil ||
					!sameIdentity(q.Info.Files[f], id) {
					if ctx.Err() != nil {
						return out, ctx.Err()
					}
					break // its bytes are not what its torrent says
				}
				hashed = true
			}
			take(f, ReuseMatch{File: f, Src: k.Path, From: FromLibrary, Hashed: q.HashKnown})
		}
	}
	for _, dir := range q.Dirs {
		if len(byLen) == 0 {
			break
		}
		err := walkReuse(ctx, dir, byLen, func(path string, same []int) error {
			// One read gives what the files of this length need: BLAKE3
			// when any carries a digest (the faster), else the root.
			want := q.Info.Files[same[0]]
			for _, f := range same {
				if q.Info.Files[f].Blake3 != nil {
					want = q.Info.Files[f]
				}
			}
			id, err := hashFile(ctx, path, want.Length, want, false)
			if err != nil {
				return ctx.Err() // unreadable: skipped
			}
			for _, f := range same {
				if sameIdentity(q.Info.Files[f], id) {
					take(f, ReuseMatch{File: f, Src: path, From: FromFolder, Hashed: true})
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// walkReuse calls found for each regular file under dir whose length is a
// key of byLen, with the files of that length, until byLen is empty.
func walkReuse(ctx context.Context, dir string, byLen map[int64][]int, found func(path string, same []int) error) error {
	// The folder the user named may itself be a link; what is under it
	// is not followed.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("reuse folder %s: %w", dir, err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // an unreadable corner of the folder is skipped
		}
		if len(byLen) == 0 {
			return filepath.SkipAll
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // folders are walked; links, devices and pipes never read
		}
		fi, err := d.Info()
		if err != nil || byLen[fi.Size()] == nil {
			return nil
		}
		return found(path, append([]int(nil), byLen[fi.Size()]...))
	})
	if err != nil {
		return fmt.Errorf("reuse folder %s: %w", dir, err)
	}
	return nil
}

func sameIdentity(f File, id identity) bool {
	if id.empty() {
		return false
	}
	if f.Root != nil && id.root != nil {
		return bytes.Equal(f.Root, id.root)
	}
	if f.Blake3 != nil && id.blake3 != nil {
		return bytes.Equal(f.Blake3, id.blake3)
	}
	return false
}

// hashFile reads the regular file at path (length bytes, not through a
// symbolic link unless follow) and returns what like needs to be compared
// with it: its BLAKE3 digest when like has one, else its root.
func hashFile(ctx context.Context, path string, length int64, like File, follow bool) (identity, error) {
	f, err := openRead(path, follow)
	if err != nil {
		return identity{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != length {
		return identity{}, fmt.Errorf("%s: not a regular file of %d bytes", path, length)
	}
	buf := getBuf(1 << 20)
	defer putBuf(buf)
	if like.Blake3 != nil {
		b3 := blake3.New()
		if err := eachChunk(ctx, f, length, *buf, func(b []byte) { b3.Write(b) }); err != nil {
			return identity{}, err
		}
		return identity{blake3: b3.Sum(nil)}, nil
	}
	leaves, err := fileLeaves(ctx, f, length, *buf)
	if err != nil {
		return identity{}, err
	}
	root := FileRoot(leaves)
	return identity{root: root[:]}, nil
}
