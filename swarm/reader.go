package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/shoal-bt/shoal/pieces"
)

// DefaultReadahead is how far past its offset a Reader asks for pieces
// first, unless SetReadahead says otherwise.
const DefaultReadahead = 8 << 20

var readerIDs atomic.Int64

// Reader reads one file of a torrent while it downloads. A read at an
// offset raises the priority of the pieces under it and of a readahead
// window after it, waits until those pieces are verified, and returns only
// verified bytes. Close gives the priorities up; so does the torrent's
// removal. Several Readers may read one torrent at once.
//
// Read and Seek share the Reader's offset and are for one goroutine at a
// time; ReadAt may be called from several (the last call's offset sets the
// window).
type Reader struct {
	t     *torrent
	c     *content
	id    int64
	index int // the file's, in the torrent
	file  pieces.File
	ctx   context.Context

	readahead atomic.Int64
	closed    chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex // pos; serializes Read and Seek
	pos  int64
	wmu  sync.Mutex // told
	told streamWant // the window last given to the loop; first -1 when none
}

// NewReader returns a Reader of file (as Snapshot numbers them) of the
// torrent ih. Its reads wait until ctx is done at the longest; it fails
// with ErrNoMetadata before a magnet's info has arrived.
func (s *Session) NewReader(ctx context.Context, ih InfoHash, file int) (*Reader, error) {
	t, err := s.torrent(ih)
	if err != nil {
		return nil, err
	}
	c := t.data.Load()
	if c == nil {
		return nil, fmt.Errorf("%x: %w", ih[:], ErrNoMetadata)
	}
	if file < 0 || file >= len(c.info.Files) {
		return nil, fmt.Errorf("swarm: no file %d (the torrent has %d)", file, len(c.info.Files))
	}
	r := &Reader{t: t, c: c, id: readerIDs.Add(1), index: file, file: c.info.Files[file], ctx: ctx,
		closed: make(chan struct{}), told: streamWant{first: -1}}
	r.readahead.Store(DefaultReadahead)
	return r, nil
}

// Size is the file's length in bytes.
func (r *Reader) Size() int64 { return r.file.Length }

// SetReadahead sets how many bytes past a read's offset are asked for
// first (0: only the pieces under the read).
func (r *Reader) SetReadahead(n int64) { r.readahead.Store(max(n, 0)) }

// Read reads from the Reader's offset: as many bytes as are verified
// there, at least one, waiting for the piece under the offset if need be.
func (r *Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.readSome(p, r.pos)
	r.pos += int64(n)
	return n, err
}

// Seek sets the offset of the next Read (io.Seeker); it never waits.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.file.Length
	default:
		return r.pos, fmt.Errorf("swarm: seek: bad whence %d", whence)
	}
	if offset < 0 {
		return r.pos, fmt.Errorf("swarm: seek to negative offset %d", offset)
	}
	r.pos = offset
	return offset, nil
}

// ReadAt reads len(p) bytes at off (io.ReaderAt), waiting until all of
// them are verified.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.readSome(p[n:], off+int64(n))
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Close gives up the Reader's priorities and ends its waits. It never
// fails; later reads fail.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() {
		close(r.closed)
		r.wmu.Lock()
		defer r.wmu.Unlock()
		if r.told.first >= 0 {
			r.told.first = -1
			_ = r.t.do(func(t *torrent) error { return t.setStream(r.id, streamWant{}, false) })
		}
	})
	return nil
}

var errReaderClosed = errors.New("swarm: reader closed")

// readSome reads up to len(p) verified bytes at file offset off, at least
// one unless it fails.
func (r *Reader) readSome(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("swarm: read at negative offset %d", off)
	}
	if off >= r.file.Length {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p = p[:min(int64(len(p)), r.file.Length-off)]
	info := r.c.info
	at := r.file.Offset + off // in the torrent
	head := int(at / info.PieceLength)
	if err := r.want(head, at); err != nil {
		return 0, err
	}
	for {
		wait := r.t.streams.waitC()
		if r.c.has(head) {
			break
		}
		select {
		case <-wait:
		case <-r.closed:
			return 0, errReaderClosed
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case <-r.t.done:
			return 0, ErrClosed
		}
	}
	// As far as the verified pieces go, from the one under off.
	end := at
	for i := head; end < at+int64(len(p)) && r.c.has(i); i++ {
		end = min(at+int64(len(p)), info.PieceOffset(i)+info.PieceSize(i))
	}
	n, err := r.c.storage.ReadAt(p[:end-at], at)
	if err != nil {
		return 0, fmt.Errorf("swarm: read %s at %d: %w", r.file.Path, off, err)
	}
	// A piece withdrawn meanwhile (a user's edit to the file) may have
	// given bytes that are not the torrent's: try again.
	for i := head; int64(i)*info.PieceLength < end; i++ {
		if !r.c.has(i) {
			return r.readSome(p, off)
		}
	}
	return n, nil
}

// want tells the loop the window for a read at torrent offset at, whose
// piece is head, unless it is the window it has.
func (r *Reader) want(head int, at int64) error {
	info := r.c.info
	_, fileEnd := info.PiecesOf(r.index)
	last := int(min(at+r.readahead.Load(), r.file.Offset+r.file.Length-1) / info.PieceLength)
	last = max(head, min(last, fileEnd-1))
	w := streamWant{first: head, last: last}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	select {
	case <-r.closed:
		return errReaderClosed
	default:
	}
	if r.told == w {
		return nil
	}
	if err := r.t.do(func(t *torrent) error { return t.setStream(r.id, w, true) }); err != nil {
		return err
	}
	r.told = w
	return nil
}

// Name is the file's slash-separated path, the torrent's name first (as
// FileSnapshot.Path).
func (r *Reader) Name() string { return filePath(r.c.info, r.index) }
