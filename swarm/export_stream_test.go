package swarm

// Held reports which pieces of torrent ih are verified, as Readers see
// them; nil before its info is known.
func Held(s *Session, ih InfoHash) []bool {
	t, err := s.torrent(ih)
	if err != nil {
		return nil
	}
	c := t.data.Load()
	if c == nil {
		return nil
	}
	out := make([]bool, c.info.NumPieces())
	for i := range out {
		out[i] = c.has(i)
	}
	return out
}

// Deadlines counts the pieces of torrent ih with a reader's deadline.
func Deadlines(s *Session, ih InfoHash) int {
	t, err := s.torrent(ih)
	if err != nil {
		return -1
	}
	n := 0
	_ = t.do(func(t *torrent) error {
		if t.picker != nil {
			for i := range t.data.Load().info.NumPieces() {
				if t.picker.Deadline(i) >= 0 {
					n++
				}
			}
		}
		return nil
	})
	return n
}
