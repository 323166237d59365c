package pieces

import (
	"errors"
	"fmt"
)

var (
	// ErrBadTorrent marks a torrent or info dict that is malformed or fails
	// validation. The wrapping error says which field and why.
	ErrBadTorrent = errors.New("bad torrent")
	// ErrUnsafePath marks a name or path that could escape, or confuse, the
	// download directory. Errors that wrap it from ParseInfo also wrap
	// ErrBadTorrent.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrBadMagnet marks a magnet link that cannot be used.
	ErrBadMagnet = errors.New("bad magnet link")
	// ErrBadResume marks a resume file that is torn, corrupt, of another
	// version, or for a different torrent shape. Callers recheck instead.
	ErrBadResume = errors.New("bad resume file")
	// ErrV2Only marks a v2-only magnet link (btmh without btih) given to
	// the engine, which cannot fetch piece layers from peers yet, so has
	// nothing to check the pieces of a v2-only torrent against.
	ErrV2Only = errors.New("v2-only magnet links (xt=urn:btmh: without urn:btih:) cannot be downloaded yet: shoal does not fetch piece layers from peers; use the .torrent file, or a hybrid magnet")
	// ErrMissingLayers marks a v2-only torrent whose .torrent lacks the
	// piece layer of a file longer than a piece, given to the engine.
	ErrMissingLayers = errors.New("this v2-only torrent lacks the piece layers of some files, and shoal does not fetch them from peers yet")
	// ErrNothingToShare is returned by Create for an empty folder, or one
	// whose files are all empty or skipped.
	ErrNothingToShare = errors.New("nothing to share")
)

// PathError describes one unsafe path component. It matches ErrUnsafePath
// with errors.Is.
type PathError struct {
	Component string // the offending component, as found
	Reason    string // e.g. "escapes the download directory"
}

func (e *PathError) Error() string { return fmt.Sprintf("component %q %s", e.Component, e.Reason) }

// Is makes errors.Is(err, ErrUnsafePath) true.
func (e *PathError) Is(target error) bool { return target == ErrUnsafePath }

// badf formats a validation failure that wraps ErrBadTorrent (and any %w in
// format, such as a *PathError).
func badf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadTorrent}, args...)...)
}
