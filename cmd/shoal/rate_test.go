package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// TestRates_CappedTransfer: with a download capped at 300 KiB/s the rate
// shown 3 s in is within 20% of the cap, and 2 s after the download ends it
// is exactly 0. This checks the estimator against a known rate; it asserts
// no speed of shoal's own.
func TestRates_CappedTransfer(t *testing.T) {
	const capBps = 300 << 10
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 2 << 20})
	p := shoalStart(t, "get", magnet, "-o", t.TempDir(), "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir(),
		"--json", "--seed", "--progress-every", "250ms", "--down-limit", "300KiB")
	p.waitFor(t, `"event":"verified"`, 60*time.Second)
	time.Sleep(3 * time.Second)
	p.stop()
	<-p.done

	var started, finished time.Time
	var during, after []jsonProgress
	for _, line := range strings.Split(p.out.String(), "\n") {
		var obj struct {
			jsonProgress
			Event string `json:"event"`
		}
		if json.Unmarshal([]byte(line), &obj) != nil {
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, obj.Time)
		switch {
		case obj.Type == "event" && obj.Event == "completed":
			finished = at
		case obj.Type != "progress":
		case started.IsZero() && obj.Downloaded > 0:
			started = at
		case !finished.IsZero() && at.Sub(finished) >= 2*time.Second:
			after = append(after, obj.jsonProgress)
		case finished.IsZero() && !started.IsZero() && at.Sub(started) >= 3*time.Second:
			during = append(during, obj.jsonProgress)
		}
	}
	if len(during) == 0 || len(after) == 0 {
		t.Fatalf("no progress 3 s into the download (%d) or 2 s after it (%d):\n%s", len(during), len(after), p.out.String())
	}
	if got := float64(during[0].DownBps); math.Abs(got-capBps)/capBps > 0.2 {
		t.Errorf("3 s into a download capped at %d B/s the rate shown is %.0f B/s, more than 20%% off", capBps, got)
	}
	for _, pr := range after {
		if pr.DownBps != 0 {
			t.Errorf("2 s after the download ended the rate shown is %d B/s at %s, want 0\n%s", pr.DownBps, pr.Time, p.out.String())
		}
	}
}
