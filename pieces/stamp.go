package pieces

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// ErrFileChanged marks a file whose size or mtime is no longer what it was
// when its pieces were verified: its bytes must not be served as verified,
// and it must not be written to (it is the user's now).
var ErrFileChanged = errors.New("file changed on disk")

// FileChangedError says which file changed. It matches ErrFileChanged with
// errors.Is.
type FileChangedError struct {
	File int    // into Info.Files
	Path string // slash-separated, under the download directory
	Want FileStamp
	Got  FileStamp
}

func (e *FileChangedError) Error() string {
	if e.Got == e.Want {
		return fmt.Sprintf("%s: %v (edited by its owner)", e.Path, ErrFileChanged)
	}
	return fmt.Sprintf("%s: %v (size %d, mtime %s; verified at size %d, mtime %s)", e.Path, ErrFileChanged,
		e.Got.Size, e.Got.ModTime.Format(time.RFC3339Nano), e.Want.Size, e.Want.ModTime.Format(time.RFC3339Nano))
}

func (e *FileChangedError) Unwrap() error { return ErrFileChanged }

func stampOf(fi fs.FileInfo) FileStamp {
	return FileStamp{Size: fi.Size(), ModTime: time.Unix(0, fi.ModTime().UnixNano()).UTC()}
}

// fileGuard is what Storage knows about one file's verification, for the
// reads that leave the machine as verified data.
type fileGuard struct {
	stamp   FileStamp // expected while guarded (guardAt holds the read path's copy)
	changed bool      // seen changed; a re-check is due or under way
	edited  bool      // a re-check found pieces that no longer match: the owner's file
}

// Guard makes ReadVerifiedAt prove that file k still has stamp st, the size
// and mtime it had when its pieces were verified. Call it only for a file
// shoal no longer writes: its own writes move the mtime too.
func (s *Storage) Guard(k int, st FileStamp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guards[k].stamp = st
	s.guardAt[k].Store(newGuardStamp(st))
}

// Unguard forgets file k's guard, changed and edited marks: shoal is to
// write to it again (a check found pieces to fetch, and the user asked for
// the torrent's bytes).
func (s *Storage) Unguard(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guards[k] = fileGuard{}
	s.guardAt[k].Store(nil)
}

// guardStamp is a guard as the read path compares it.
type guardStamp struct{ size, mtimeNs int64 }

func newGuardStamp(st FileStamp) *guardStamp {
	g := &guardStamp{size: st.Size}
	if !st.ModTime.IsZero() {
		g.mtimeNs = st.ModTime.UnixNano()
	}
	return g
}

// MarkChanged records that file k changed behind shoal's back. It reports
// false when the file was already marked, so that one change starts one
// re-check however many readers notice it. The guard stays: reads keep
// failing until Rechecked.
func (s *Storage) MarkChanged(k int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.guards[k].changed {
		return false
	}
	s.guards[k].changed = true
	return true
}

// Changed reports whether file k is marked changed and not yet re-checked.
func (s *Storage) Changed(k int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guards[k].changed
}

// Rechecked ends a re-check of file k: it is guarded at st again. When
// edited (some of its pieces no longer match) writes to it fail with
// ErrFileChanged from now on: the file is its owner's and shoal must never
// write over it, even if something asked it to.
func (s *Storage) Rechecked(k int, st FileStamp, edited bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guards[k] = fileGuard{stamp: st, edited: edited}
	s.guardAt[k].Store(newGuardStamp(st))
}

// Edited reports whether the last re-check of file k found pieces that no
// longer match.
func (s *Storage) Edited(k int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guards[k].edited
}

// Reopen forgets the open descriptor of file k, so the next access opens the
// path again: a file replaced by rename (as editors save) leaves the old
// descriptor on the old inode, whose bytes a re-check must not be fooled by.
func (s *Storage) Reopen(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.open[k]; h != nil {
		delete(s.open, k)
		h.stale = true
		if h.refs == 0 {
			h.close()
		}
	}
}

// StatFile returns file k's stamp now, looked up by path (not through an
// open descriptor); Size is -1 for a missing file or a pad file.
func (s *Storage) StatFile(k int) (FileStamp, error) {
	if s.info.Files[k].Padding {
		return FileStamp{Size: -1}, nil
	}
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if root == nil {
		return FileStamp{Size: -1}, nil
	}
	st, err := s.statFollow(root, s.rel[k])
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return FileStamp{Size: -1}, nil
	}
	if err != nil {
		return FileStamp{}, fmt.Errorf("stat %s: %w", s.rel[k], err)
	}
	return stampOf(st), nil
}

// ReadVerifiedAt is ReadAt for bytes about to be served as verified. After
// reading from a guarded file it fstat()s the same descriptor and fails
// with a *FileChangedError when the size or mtime differs from the guard:
// write(2) moves the mtime before it copies data in, so a stat taken after
// the read sees any write that could have mixed into it. A file replaced by
// rename is not noticed here (the descriptor still holds the verified
// bytes); Storage's owner stats paths for that.
func (s *Storage) ReadVerifiedAt(p []byte, off int64) (int, error) {
	return s.span(p, off, ioVerified)
}

// checkGuard compares an open file's stamp with file k's guard, if any.
func (s *Storage) checkGuard(k int, h *handle) error {
	g := s.guardAt[k].Load()
	if g == nil {
		return nil
	}
	size, ns, err := fstatNs(h)
	if err != nil {
		return fmt.Errorf("%s: %w", s.rel[k], err)
	}
	if size == g.size && ns == g.mtimeNs {
		return nil
	}
	s.mu.Lock()
	want := s.guards[k].stamp
	s.mu.Unlock()
	return &FileChangedError{File: k, Path: s.rel[k], Want: want, Got: FileStamp{Size: size, ModTime: time.Unix(0, ns).UTC()}}
}

// Equal reports whether two stamps say the same size and mtime.
func (a FileStamp) Equal(b FileStamp) bool { return a.Size == b.Size && a.ModTime.Equal(b.ModTime) }

// Flagged returns the files marked changed (a re-check is due) and those a
// re-check found edited, in file order.
func (s *Storage) Flagged() (changed, edited []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, g := range s.guards {
		if g.changed {
			changed = append(changed, k)
		}
		if g.edited {
			edited = append(edited, k)
		}
	}
	return changed, edited
}
