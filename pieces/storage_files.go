package pieces

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
)

// ErrClosed is returned by Storage methods after Close.
var ErrClosed = errors.New("storage closed")

// errNotRegular marks a torrent path that exists but is a directory or a
// special file, which Storage refuses to read or write.
var errNotRegular = errors.New("not a regular file")

// acquire returns an open handle for file k, opening (and for writes,
// creating) it if needed. The caller must release it.
func (s *Storage) acquire(k int, write bool) (*handle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if g := s.guards[k]; write && g.edited {
		return nil, &FileChangedError{File: k, Path: s.rel[k], Want: g.stamp, Got: g.stamp}
	}
	s.tick++
	if h := s.open[k]; h != nil && (h.writable || !write) {
		h.refs++
		h.used = s.tick
		return h, nil
	}
	f, err := s.openFile(k, write)
	if err != nil {
		return nil, err
	}
	if old := s.open[k]; old != nil {
		old.stale = true
		if old.refs == 0 {
			old.close()
		}
	}
	h := &handle{f: f, fd: fdOf(f), writable: write, refs: 1, used: s.tick}
	s.open[k] = h
	s.evict()
	return h, nil
}

func (s *Storage) release(h *handle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.refs--
	if h.refs == 0 && (h.stale || s.closed) {
		h.close()
	}
}

// evict closes least recently used idle handles past maxOpenFiles. Busy
// ones are left alone, so the cap can be exceeded briefly.
func (s *Storage) evict() {
	for len(s.open) > maxOpenFiles {
		victim := -1
		for k, h := range s.open {
			if h.refs == 0 && (victim < 0 || h.used < s.open[victim].used) {
				victim = k
			}
		}
		if victim < 0 {
			return
		}
		s.open[victim].close()
		delete(s.open, victim)
	}
}

// CloseIdle closes the files nothing reads or writes through right now;
// the next read or write opens them again. A torrent nobody talks to then
// holds no descriptor for its files: 10,000 idle seeds held 10,000, half
// the process's limit.
func (s *Storage) CloseIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, h := range s.open {
		if h.refs == 0 {
			h.close()
			delete(s.open, k)
		}
	}
}

// openFile opens file k through the root. Writes create parents and the file,
// sized to its full length. Called with s.mu held.
func (s *Storage) openFile(k int, write bool) (*os.File, error) {
	rel := s.rel[k]
	if s.root == nil {
		if !write {
			return nil, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return nil, err
		}
		root, err := os.OpenRoot(s.dir)
		if err != nil {
			return nil, err
		}
		s.root = root
	}
	if st, err := s.statFollow(s.root, rel); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%v)", rel, errNotRegular, st.Mode().Type())
	}
	var (
		f   *os.File
		err error
	)
	if write {
		if link := escapingLink(s.dir, rel); link != nil {
			return nil, link
		}
		if dir := path.Dir(rel); dir != "." {
			if err := s.root.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create %s: %w", dir, err)
			}
		}
		f, err = s.root.OpenFile(rel, os.O_RDWR|os.O_CREATE, 0o644)
	} else {
		f, err = s.openFollow(rel)
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%v)", rel, errNotRegular, st.Mode().Type())
	}
	if want := s.info.Files[k].Length; write && st.Size() != want {
		// Truncate makes a sparse file; a file that is too long belongs to
		// this torrent's name and is cut to the declared size.
		if err := f.Truncate(want); err != nil {
			f.Close()
			return nil, fmt.Errorf("size %s: %w", rel, err)
		}
	}
	return f, nil
}

// createEmpty creates the zero-length files whose offset lies in [from, to]:
// no write ever lands inside them, so the writes around them make them.
func (s *Storage) createEmpty(from, to int64) error {
	s.part.mu.RLock()
	defer s.part.mu.RUnlock()
	files := s.info.Files
	for k := sort.Search(len(files), func(k int) bool { return files[k].Offset >= from }); k < len(files) && files[k].Offset <= to; k++ {
		if files[k].Length != 0 || files[k].Padding || s.part.parted != nil && s.part.parted[k] {
			continue
		}
		s.mu.Lock()
		if s.created[k] {
			s.mu.Unlock()
			continue
		}
		file, err := s.openFile(k, true)
		if err == nil {
			s.created[k] = true
			err = file.Close()
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// Sync flushes every file opened for writing to stable storage.
func (s *Storage) Sync() error {
	s.mu.Lock()
	var hs []*handle
	for _, h := range s.open {
		if h.writable {
			h.refs++
			hs = append(hs, h)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, h := range hs {
		if err := h.f.Sync(); err != nil {
			errs = append(errs, err)
		}
		s.release(h)
	}
	return errors.Join(errs...)
}

// Close closes every file; handles in use close when released.
func (s *Storage) Close() error {
	s.part.mu.Lock() // waits for reads and writes of the part file
	defer s.part.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.part.f != nil {
		errs = append(errs, s.part.f.Close())
		s.part.f = nil
	}
	for k, h := range s.open {
		if h.refs == 0 {
			if err := h.close(); err != nil {
				errs = append(errs, err)
			}
		}
		delete(s.open, k)
	}
	if s.root != nil {
		errs = append(errs, s.root.Close())
	}
	return errors.Join(errs...)
}

// statFile reports whether file k exists as a regular file inside the root.
// Pad files always do.
func (s *Storage) statFile(k int) error {
	if s.info.Files[k].Padding {
		return nil
	}
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if root == nil {
		return fmt.Errorf("%s: %w", s.rel[k], fs.ErrNotExist)
	}
	st, err := s.statFollow(root, s.rel[k])
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (%v)", s.rel[k], errNotRegular, st.Mode().Type())
	}
	return nil
}
