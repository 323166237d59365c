//go:build !linux

package pieces

import (
	"context"
	"os"
)

// place copies in to name in the folder pd: no reflinks or hard links
// here. The copy is made under a hidden name and linked to name (a link
// never replaces), then the hidden name is removed.
func place(ctx context.Context, pd *os.File, name string, in *os.File, length int64, link bool) (PlaceMethod, error) {
	root, err := os.OpenRoot(pd.Name())
	if err != nil {
		return 0, err
	}
	defer root.Close()
	tmp := tempName()
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer root.Remove(tmp)
	defer out.Close()
	if err := copyInto(ctx, out, in, length); err != nil {
		return 0, err
	}
	if err := root.Link(tmp, name); err != nil {
		return 0, err
	}
	return PlacedCopy, nil
}
