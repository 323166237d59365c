package pieces

import (
	"errors"
	"fmt"
	"sort"
	"syscall"
)

// WriteBuffersAt writes the concatenation of bufs at torrent offset off,
// as WriteAt would. When the range lies in one file it is one pwritev (on
// Linux), which spares the caller copying the pieces into one buffer.
func (s *Storage) WriteBuffersAt(bufs [][]byte, off int64) (int, error) {
	return s.writeBuffers(bufs, off, false)
}

// writeBuffers is WriteBuffersAt, or with direct WriteBuffersDirect: a run
// inside one file, at an aligned file offset and in aligned buffers, first
// tries the file's O_DIRECT twin.
func (s *Storage) writeBuffers(bufs [][]byte, off int64, direct bool) (int, error) {
	p, err := s.place(bufs, off)
	if err != nil {
		return 0, err
	}
	k, total := p.k, p.total
	if direct && haveDirect && p.direct {
		if n, ok, err := s.writevFile(k, bufs, off, total, true); ok {
			return n, err
		}
	}
	if !haveWritev || len(bufs) == 1 || !p.inOne || s.Parted(k) {
		// Rare (a run across a file boundary) or unsupported: a write each.
		done := 0
		for _, b := range bufs {
			n, err := s.WriteAt(b, off+int64(done))
			done += n
			if err != nil {
				return done, err
			}
		}
		return done, nil
	}
	n, ok, err := s.writevFile(k, bufs, off, total, false)
	if !ok {
		return s.writeBuffers(bufs, off, false) // a file parted since the check above goes through WriteAt
	}
	return n, err
}

// writevFile writes bufs, total bytes at torrent offset off inside file k,
// with one pwritev: through the file's O_DIRECT twin when direct. ok is
// false when nothing was written and the write must go through
// WriteBuffersAt: the file was parted since the caller looked, or (direct)
// the file system refuses O_DIRECT.
func (s *Storage) writevFile(k int, bufs [][]byte, off int64, total int, direct bool) (n int, ok bool, err error) {
	h, ok, err := s.holdForWrite(k, true)
	if !ok || err != nil {
		return 0, ok, err
	}
	f := h.f
	if direct {
		if f = s.directFile(h); f == nil {
			s.unhold(h)
			return 0, false, nil
		}
	}
	n, err = writev(f, bufs, off-s.info.Files[k].Offset)
	s.unhold(h)
	if direct && n == 0 && errors.Is(err, syscall.EINVAL) {
		s.refuseDirect()
		return 0, false, nil
	}
	if err != nil {
		return n, true, fmt.Errorf("%s: %w", s.rel[k], err)
	}
	return n, true, s.createEmpty(off, off+int64(total))
}

// holdForWrite takes the part lock for reading (only if free at once,
// unless wait) and file k's handle for writing, for a write that must not
// race a parting of the file. ok is false, with nothing held, when the
// file is parted or the lock was not free; err, with nothing held, when
// the file cannot be opened. unhold gives back what it took.
func (s *Storage) holdForWrite(k int, wait bool) (h *handle, ok bool, err error) {
	if wait {
		s.part.mu.RLock()
	} else if !s.part.mu.TryRLock() {
		return nil, false, nil
	}
	if s.part.parted != nil && s.part.parted[k] {
		s.part.mu.RUnlock()
		return nil, false, nil
	}
	if h, err = s.acquire(k, true); err != nil {
		s.part.mu.RUnlock()
		return nil, true, err
	}
	return h, true, nil
}

func (s *Storage) unhold(h *handle) {
	s.release(h)
	s.part.mu.RUnlock()
}

// runPlace is where a run of buffers falls in the torrent.
type runPlace struct {
	total  int
	k      int  // the file holding the run's first byte
	inOne  bool // the run lies inside file k, which is not padding
	direct bool // and may go through O_DIRECT: buffers and file offset aligned
}

// place says where bufs, written at torrent offset off, would land; an
// error when the run leaves the torrent.
func (s *Storage) place(bufs [][]byte, off int64) (runPlace, error) {
	var p runPlace
	alignedBufs := true
	for _, b := range bufs {
		p.total += len(b)
		alignedBufs = alignedBufs && aligned(b)
	}
	if off < 0 || off > s.info.Length-int64(p.total) {
		return p, fmt.Errorf("write %d bytes at %d: outside the torrent's %d bytes", p.total, off, s.info.Length)
	}
	files := s.info.Files
	p.k = sort.Search(len(files), func(k int) bool { return files[k].Offset+files[k].Length > off })
	p.inOne = p.k < len(files) && !files[p.k].Padding && off+int64(p.total) <= files[p.k].Offset+files[p.k].Length
	p.direct = alignedBufs && p.inOne && p.total > 0 && (off-files[p.k].Offset)%DirectAlign == 0
	return p, nil
}

// refuseDirect records that the file system wants a larger alignment, or
// takes O_DIRECT at open but not at write: it is never asked again.
func (s *Storage) refuseDirect() {
	s.mu.Lock()
	s.noDirect = true
	s.mu.Unlock()
}
