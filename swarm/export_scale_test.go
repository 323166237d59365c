package swarm

// PeerBuffers says whether torrent ih holds the channels its peers and
// disk goroutines report on (events; disk and hashing queues); asked on
// its goroutine.
func PeerBuffers(s *Session, ih InfoHash) (events, disk bool) {
	t, err := s.torrent(ih)
	if err != nil {
		return false, false
	}
	t.do(func(t *torrent) error {
		events = t.events != nil
		if c := t.data.Load(); c != nil {
			disk = c.disk[0] != nil || c.hashJobs != nil
		}
		return nil
	})
	return events, disk
}

// TimerWakes counts the times torrent ih's loop woke for a timer.
func TimerWakes(s *Session, ih InfoHash) int64 {
	t, err := s.torrent(ih)
	if err != nil {
		return -1
	}
	return t.pub.timerWakes.Load()
}
