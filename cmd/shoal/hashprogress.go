package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
)

// newHashProgress returns a progress callback for hashing: a line redrawn in
// place on a terminal, a plain line every 10 s otherwise. Hashing workers
// call it concurrently.
func newHashProgress(a *app, label string) func(done, total int64) {
	var mu sync.Mutex
	start := time.Now()
	var last time.Time
	tty := isTerminal(a.stderr)
	every := 10 * time.Second
	if tty {
		every = 200 * time.Millisecond
	}
	return func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		finished := done >= total
		if !finished && now.Sub(last) < every {
			return
		}
		last = now
		rate := float64(done) / max(now.Sub(start).Seconds(), 1e-3)
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		line := fmt.Sprintf("%s %5.1f%%  %s of %s  %s/s", label, pct,
			humanize.IBytes(uint64(done)), humanize.IBytes(uint64(total)), humanize.IBytes(uint64(rate)))
		switch {
		case tty && finished:
			fmt.Fprintf(a.stderr, "\r\033[K%s\n", line)
		case tty:
			fmt.Fprintf(a.stderr, "\r\033[K%s", line)
		default:
			fmt.Fprintln(a.stderr, line)
		}
	}
}
