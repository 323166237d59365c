package swarm

import (
	"context"

	"golang.org/x/time/rate"
)

// torrentLimits are one torrent's own rate limits, beside the session's:
// a block waits for both. nil limiters mean no limit of the torrent's own.
type torrentLimits struct{ down, up *rate.Limiter }

// SetTorrentLimits sets a torrent's own download and upload limits in
// bytes per second (0: none), beside the session-wide ones. They last
// while the torrent is in the session; the daemon sets them again when
// it adds a torrent back.
func (s *Session) SetTorrentLimits(ih InfoHash, downBps, upBps int64) error {
	t, err := s.torrent(ih)
	if err != nil {
		return err
	}
	t.xfer.limits.Store(&torrentLimits{down: newLimiter(downBps), up: newLimiter(upBps)})
	return nil
}

// waitOwn waits for the torrent's own limiter of the direction.
func (t *torrent) waitOwn(ctx context.Context, n int, up bool) error {
	l := t.xfer.limits.Load()
	if l == nil {
		return nil
	}
	lim := l.down
	if up {
		lim = l.up
	}
	if lim == nil {
		return nil
	}
	return lim.WaitN(ctx, n)
}
