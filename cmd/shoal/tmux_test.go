package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTmux_DemoUI runs the real binary's demo in a real terminal (tmux),
// presses keys as a person would and reads the screen.
func TestTmux_DemoUI(t *testing.T) {
	tmux := needTool(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	bin := filepath.Join(t.TempDir(), "shoal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// A slow rate keeps the download going while the test looks at it.
	tm("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30",
		bin+" demo --size 24MiB --rate 2MiB --piece-length 64KiB --dir "+t.TempDir()+" --log-file "+filepath.Join(t.TempDir(), "log"))
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })

	screen := func() string { return tm("capture-pane", "-t", "demo", "-p") }
	waitScreen := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var s string
		for time.Now().Before(deadline) {
			if s = screen(); strings.Contains(s, want) {
				return s
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
		return ""
	}

	s := waitScreen("downloading")
	if !strings.Contains(s, "shoal-sample") || !strings.Contains(s, "[1 Peers") {
		t.Errorf("the leecher's detail view is not open:\n%s", s)
	}
	tm("send-keys", "-t", "demo", "2")
	waitScreen("pieces of 64 KiB")
	tm("send-keys", "-t", "demo", "p")
	waitScreen("paused")
	tm("send-keys", "-t", "demo", "p")
	waitScreen("downloading")
	tm("send-keys", "-t", "demo", "q")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command(tmux, "-S", sock, "has-session", "-t", "demo").Run() != nil {
			return // the demo exited and took its window with it
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("demo still running 10s after q:\n%s", screen())
}
