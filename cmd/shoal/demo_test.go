package main

import (
	"strings"
	"testing"
)

// TestDemo runs what 'make demo' runs, small and without the UI: tracker,
// DHT node, three seeds and a magnet-link leecher, all on loopback.
func TestDemo(t *testing.T) {
	code, out, errs := shoalRun(t, "demo", "--no-tui", "--size", "3MiB", "--rate", "0", "--piece-length", "16KiB",
		"--dir", t.TempDir())
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"metadata", "completed", "verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(errs, "Seed "); n != 3 {
		t.Errorf("demo started %d seeds, want 3:\n%s", n, errs)
	}
}
