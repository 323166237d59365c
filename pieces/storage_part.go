package pieces

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"syscall"
)

// The part file keeps the bytes of skipped files that share a piece with a
// wanted file, as libtorrent's partfile does: such a piece must be whole to
// be hashed and served, but a file the user skipped must never appear on
// disk. It is one hidden file in the download directory, named by
// SetPartFile (swarm names it ".shoal-<infohash>.parts"). Slot n holds the
// n-th shared piece (one a file boundary falls inside) at n×PieceLength, so
// the layout follows from the Info alone and needs no index; the file is
// sparse, holding only the bytes of parted files.
//
// A file is parted when it is skipped while it does not exist on disk. A
// skipped file that exists (the user had it, or shoal wrote part of it
// before it was skipped) keeps being written in place, as libtorrent does:
// moving its bytes out would touch a file that is already there.

// ErrNotShared is returned for a write to a parted file outside the pieces
// it shares with other files: nobody should fetch such a piece.
var ErrNotShared = errors.New("piece of a skipped file not shared with a wanted one")

type partState struct {
	// mu is read-locked by every read and write for its whole span, and
	// write-locked by SetSkipped, so that moving a file's bytes out of the
	// part file sees every write before it and none lands in the part file
	// after it.
	mu     sync.RWMutex
	name   string  // under dir; "" means no part file: skipped files are written in place
	parted []bool  // per file, under mu
	count  int     // files parted
	shared []Index // sorted shared pieces; slot n is shared[n]
	f      *os.File
}

// SetPartFile names the part file under the download directory (one path
// component, such as ".shoal-<infohash>.parts"). Call it before any read or
// write; without it SetSkipped does nothing and skipped files are written
// in place.
func (s *Storage) SetPartFile(name string) error {
	if err := checkComponent(name); err != nil {
		return fmt.Errorf("part file %q: %w", name, err)
	}
	s.part.mu.Lock()
	defer s.part.mu.Unlock()
	s.part.name = name
	if s.part.parted == nil {
		s.part.parted = make([]bool, len(s.info.Files))
		s.part.shared = sharedPieces(s.info)
	}
	return nil
}

// PartFile is the part file's name under the download directory, or "".
func (s *Storage) PartFile() string {
	s.part.mu.RLock()
	defer s.part.mu.RUnlock()
	return s.part.name
}

// Parted reports whether file k's bytes go to the part file.
func (s *Storage) Parted(k int) bool {
	s.part.mu.RLock()
	defer s.part.mu.RUnlock()
	return s.part.parted != nil && s.part.parted[k]
}

// SetSkipped says whether the user skipped file k. A skipped file that does
// not exist on disk is parted: the bytes of it that shared pieces need go
// to the part file, and it is never created. When it is wanted again, its
// bytes move from the part file into the file, which is created then; once
// no file is parted the part file is removed.
func (s *Storage) SetSkipped(k int, skip bool) error {
	s.part.mu.Lock()
	defer s.part.mu.Unlock()
	p := &s.part
	if p.name == "" || s.info.Files[k].Padding || p.parted[k] == skip {
		return nil
	}
	if skip {
		if err := s.statFile(k); err == nil || !isMissing(err) {
			return nil // there already: written in place
		}
		p.parted[k] = true
		p.count++
		return nil
	}
	if err := s.unpart(k); err != nil {
		return fmt.Errorf("move %s out of the part file: %w", s.rel[k], err)
	}
	p.parted[k] = false
	p.count--
	if p.count == 0 {
		return s.removePartFile()
	}
	return nil
}

func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// unpart creates file k and copies into it what the part file holds of it.
// Called with part.mu held for writing.
func (s *Storage) unpart(k int) error {
	f := s.info.Files[k]
	h, err := s.acquire(k, true)
	if err != nil {
		return err
	}
	defer s.release(h)
	pf, err := s.partHandle(false)
	if err != nil {
		if isMissing(err) {
			return nil // nothing was ever written there
		}
		return err
	}
	shared := s.part.shared
	first, end := s.info.PiecesOf(k)
	for i := sort.SearchInts(shared, first); i < len(shared) && shared[i] < end; i++ {
		pc := shared[i]
		lo := max(f.Offset, s.info.PieceOffset(pc))
		hi := min(f.Offset+f.Length, s.info.PieceOffset(pc)+s.info.PieceSize(pc))
		buf := make([]byte, hi-lo)
		at := int64(i)*s.info.PieceLength + lo - s.info.PieceOffset(pc)
		if _, err := pf.ReadAt(buf, at); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if _, err := h.f.WriteAt(buf, lo-f.Offset); err != nil {
			return err
		}
	}
	return nil
}

// partIO reads or writes chunk p of parted file k at offset at in the file,
// through the part file's slots. Called with part.mu read-locked.
func (s *Storage) partIO(k int, p []byte, at int64, mode ioMode) (int, error) {
	pl := s.info.PieceLength
	off := s.info.Files[k].Offset + at
	done := 0
	for done < len(p) {
		x := off + int64(done)
		pc := Index(x / pl)
		n := int(min(int64(len(p)-done), s.info.PieceOffset(pc)+pl-x))
		slot, ok := s.slotOf(pc)
		if !ok {
			if mode != ioWrite {
				return done, fmt.Errorf("%s (skipped): %w", s.rel[k], fs.ErrNotExist)
			}
			return done, fmt.Errorf("%s: piece %d: %w", s.rel[k], pc, ErrNotShared)
		}
		f, err := s.partHandle(mode == ioWrite)
		if err != nil {
			return done, fmt.Errorf("%s (skipped): part file: %w", s.rel[k], err)
		}
		pos := int64(slot)*pl + x - s.info.PieceOffset(pc)
		if mode == ioWrite {
			_, err = f.WriteAt(p[done:done+n], pos)
		} else if _, err = f.ReadAt(p[done:done+n], pos); errors.Is(err, io.EOF) {
			err = fmt.Errorf("part file is short: %w", io.ErrUnexpectedEOF)
		}
		if err != nil {
			return done, fmt.Errorf("%s (skipped): %w", s.rel[k], err)
		}
		done += n
	}
	return done, nil
}

// slotOf is shared piece pc's slot in the part file.
func (s *Storage) slotOf(pc Index) (int, bool) {
	i := sort.SearchInts(s.part.shared, pc)
	return i, i < len(s.part.shared) && s.part.shared[i] == pc
}

// partHandle opens the part file, creating it for writes.
func (s *Storage) partHandle(create bool) (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.part.f != nil {
		return s.part.f, nil
	}
	if s.root == nil {
		if !create {
			return nil, fs.ErrNotExist
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
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE
	}
	f, err := s.root.OpenFile(s.part.name, flag, 0o644)
	if err != nil {
		return nil, err
	}
	s.part.f = f
	return f, nil
}

// removePartFile closes and deletes the part file. Called with part.mu
// held for writing.
func (s *Storage) removePartFile() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.part.f != nil {
		s.part.f.Close()
		s.part.f = nil
	}
	if s.root == nil {
		return nil
	}
	if err := s.root.Remove(s.part.name); err != nil && !isMissing(err) {
		return fmt.Errorf("remove part file: %w", err)
	}
	return nil
}

// sharedPieces lists, in order, the pieces a file boundary falls strictly
// inside: the only pieces that hold bytes of more than one file.
func sharedPieces(info *Info) []Index {
	var out []Index
	for _, f := range info.Files[1:] {
		if f.Offset%info.PieceLength == 0 || f.Offset >= info.Length {
			continue
		}
		if pc := Index(f.Offset / info.PieceLength); len(out) == 0 || out[len(out)-1] != pc {
			out = append(out, pc)
		}
	}
	return out
}
