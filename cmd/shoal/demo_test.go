package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs what 'make demo' runs, small and without the UI: tracker,
// DHT node, three seeds and a magnet-link leecher, all on loopback.
func TestDemo(t *testing.T) {
	// A rate limit long enough for a few progress lines.
	code, out, errs := shoalRun(t, "demo", "--no-tui", "--size", "3MiB", "--rate", "1MiB", "--piece-length", "16KiB",
		"--dir", t.TempDir(), "--progress-every", "200ms")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"metadata", "completed", "verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The leecher's DHT knows the bootstrap node and the seeds' nodes: the
	// count it shows must say so (it said "0 nodes" for the whole run).
	if !regexp.MustCompile(`DHT [1-9][0-9]* nodes?\b`).MatchString(out) {
		t.Errorf("demo never showed a DHT node:\n%s", out)
	}
	if strings.Contains(out, "DHT 1 nodes") {
		t.Errorf(`demo says "1 nodes":\n%s`, out)
	}
	if n := strings.Count(errs, "Seed "); n != 3 {
		t.Errorf("demo started %d seeds, want 3:\n%s", n, errs)
	}
}
