package pieces

import (
	"fmt"
	"sort"
)

// WriteBuffersAt writes the concatenation of bufs at torrent offset off,
// as WriteAt would. When the range lies in one file it is one pwritev (on
// Linux), which spares the caller copying the pieces into one buffer.
func (s *Storage) WriteBuffersAt(bufs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if off < 0 || off > s.info.Length-int64(total) {
		return 0, fmt.Errorf("write %d bytes at %d: outside the torrent's %d bytes", total, off, s.info.Length)
	}
	files := s.info.Files
	k := sort.Search(len(files), func(k int) bool { return files[k].Offset+files[k].Length > off })
	if !haveWritev || len(bufs) == 1 || k == len(files) || files[k].Padding ||
		off+int64(total) > files[k].Offset+files[k].Length || s.Parted(k) {
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
	s.part.mu.RLock() // a file parted since the check above went through WriteAt
	if s.part.parted != nil && s.part.parted[k] {
		s.part.mu.RUnlock()
		return s.WriteBuffersAt(bufs, off)
	}
	h, err := s.acquire(k, true)
	if err != nil {
		s.part.mu.RUnlock()
		return 0, err
	}
	n, err := writev(h.f, bufs, off-files[k].Offset)
	s.release(h)
	s.part.mu.RUnlock()
	if err != nil {
		return n, fmt.Errorf("%s: %w", s.rel[k], err)
	}
	return n, s.createEmpty(off, off+int64(total))
}
