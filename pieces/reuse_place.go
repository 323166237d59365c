package pieces

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// PlaceMethod is how PlaceFile put a file in place.
type PlaceMethod int

const (
	PlacedReflink PlaceMethod = iota // the same blocks, shared copy-on-write: an edit to one never shows in the other
	PlacedLink                       // a hard link: one file under two names, so an edit to one is an edit to both
	PlacedCopy                       // the bytes copied (copy_file_range on Linux)
)

func (m PlaceMethod) String() string {
	return [...]string{"reflink", "hard link", "copy"}[m]
}

// copyChunk is how much is copied between two looks at the context.
const copyChunk = 64 << 20

// PlaceFile puts the bytes of src, a regular file of length bytes, at rel
// (a slash-separated path under dir, which must not exist): as a reflink
// where the file system can make one, else as a hard link when link is
// set, else as a copy. src is not opened through a symbolic link unless
// follow. rel's folders are made through an os.Root at dir, so no link
// under dir can take the file elsewhere, and the file gets its name only
// once whole, never replacing anything: a name taken meanwhile gives an
// error wrapping fs.ErrExist, and the taker's file stays.
func PlaceFile(ctx context.Context, dir, rel, src string, length int64, link, follow bool) (PlaceMethod, error) {
	in, err := openRead(src, follow)
	if err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != length {
		return 0, fmt.Errorf("place %s: %s is no longer a regular file of %d bytes", rel, src, length)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	defer root.Close()
	parent, name := path.Split(rel)
	if parent == "" {
		parent = "."
	}
	if err := root.MkdirAll(parent, 0o755); err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	pd, err := root.Open(parent)
	if err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	defer pd.Close()
	m, err := place(ctx, pd, name, in, length, link)
	if err != nil {
		return 0, fmt.Errorf("place %s: %w", rel, err)
	}
	return m, nil
}

// tempName is a hidden name beside the target for the file being made.
func tempName() string {
	var b [8]byte
	rand.Read(b[:])
	return ".shoal-reuse-" + hex.EncodeToString(b[:])
}

// copyInto copies length bytes of in to out (both at offset 0).
// os.File's ReadFrom uses copy_file_range where the kernel has it, so the
// bytes need not pass through this process.
func copyInto(ctx context.Context, out, in *os.File, length int64) error {
	for done := int64(0); done < length; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.CopyN(out, in, min(copyChunk, length-done))
		done += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF // the source shrank since it was looked at
			}
			return err
		}
	}
	return nil
}
