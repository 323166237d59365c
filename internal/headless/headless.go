// Package headless drives Debian's headless Chromium for the tests that
// check a web page as a browser renders it (the daemon's pages,
// Transmission's web UI). It imports nothing of shoal's.
package headless

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Find returns the path of a Chromium on PATH, or "" when there is none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// DOM loads url in headless Chromium and returns the DOM once the page's
// scripts had a few (virtual) seconds. The flags keep Chromium off every
// network but the page's: this machine's network is loopback only.
func DOM(t testing.TB, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-extensions", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=8000", "--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%.4000s", err, stderr.String())
	}
	return string(out)
}
