package swarm

import (
	"errors"
	"testing"

	"golang.org/x/time/rate"
)

func TestSetRateLimits(t *testing.T) {
	s, err := New(Config{ListenAddr: "127.0.0.1:0", DownLimitBps: NoLimitBps, UpLimitBps: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	if err := s.SetRateLimits(256<<10, 0); err != nil {
		t.Fatal(err)
	}
	if got := s.downLimit.Limit(); got != rate.Limit(256<<10) {
		t.Errorf("down limit %v, want 256 KiB/s", got)
	}
	if got := s.upLimit.Limit(); got != rate.Limit(NoLimitBps) {
		t.Errorf("up limit %v after 0, want NoLimitBps", got)
	}
	if s.downLimit.Burst() < blockSize {
		t.Errorf("burst %d cannot hold a block", s.downLimit.Burst())
	}

	open, err := New(Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer open.ln.Close()
	if err := open.SetRateLimits(1, 1); !errors.Is(err, ErrNoLimiter) {
		t.Errorf("a session started without limits: %v; want ErrNoLimiter", err)
	}
}
