package swarm

// SetSequential turns downloading in order on or off for torrent ih, as
// AddOptions.Sequential does at Add: the pieces after the first missing
// one, rarest first inside a window (sequentialWindow). A magnet's choice
// applies once its info arrives. Readers' deadlines come first either way.
func (s *Session) SetSequential(ih InfoHash, on bool) error {
	return s.command(ih, func(t *torrent) error {
		t.streams.sequential = on
		if t.picker == nil {
			return nil // adopt applies it
		}
		window := 0
		if on {
			window = sequentialWindow(t.tor.Info.PieceLength)
		}
		t.picker.SetSequential(window)
		return nil
	})
}
