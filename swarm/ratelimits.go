package swarm

import (
	"errors"

	"golang.org/x/time/rate"
)

// ErrNoLimiter means SetRateLimits was asked to change a limit the
// session was not created with: the peer loops read the limiters without
// a lock, so one cannot be added while they run.
var ErrNoLimiter = errors.New("swarm: the session was started without this rate limit")

// NoLimitBps is a limit no transfer reaches: a session that will have its
// limits changed while it runs (the daemon's) starts with this one, so its
// limiters exist from the start.
const NoLimitBps = 1 << 40

// SetRateLimits changes the session's download and upload limits while it
// runs; 0 means no limit (NoLimitBps). Only limits the session was
// created with (Config.DownLimitBps, UpLimitBps > 0) can change.
func (s *Session) SetRateLimits(downBps, upBps int64) error {
	for _, l := range []struct {
		lim *rate.Limiter
		bps int64
	}{{s.downLimit, downBps}, {s.upLimit, upBps}} {
		if l.lim == nil {
			return ErrNoLimiter
		}
		bps := l.bps
		if bps <= 0 {
			bps = NoLimitBps
		}
		l.lim.SetBurst(limiterBurst(bps))
		l.lim.SetLimit(rate.Limit(bps))
	}
	return nil
}
