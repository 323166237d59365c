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
	// ErrMissingLayers marks a v2-only torrent without the piece layer of
	// a file longer than a piece where one is needed at once (the engine
	// fetches missing layers from peers first).
	ErrMissingLayers = errors.New("this v2-only torrent lacks the piece layers of some files")
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
