package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// shoalBinary builds the real binary once per test run.
func shoalBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shoal-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "shoal")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// terminal is a tmux session running one command in a pane of fixed size.
type terminal struct {
	t    *testing.T
	tmux string
	sock string
}

func newTerminal(t *testing.T, cols, rows int, command string) *terminal {
	t.Helper()
	term := &terminal{t: t, tmux: needTool(t, "tmux"), sock: filepath.Join(t.TempDir(), "tmux.sock")}
	term.run("new-session", "-d", "-s", "main", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), command)
	t.Cleanup(func() { exec.Command(term.tmux, "-S", term.sock, "kill-server").Run() })
	return term
}

func (term *terminal) run(args ...string) string {
	out, err := exec.Command(term.tmux, append([]string{"-S", term.sock}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (term *terminal) screen() string { return term.run("capture-pane", "-t", "main", "-p") }
func (term *terminal) keys(k ...string) {
	term.run(append([]string{"send-keys", "-t", "main"}, k...)...)
}

// waitFor waits until the screen shows want and returns the screen.
func (term *terminal) waitFor(want string) string {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		if s = term.screen(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	term.t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
	return ""
}

// waitExit waits for the command (and so the tmux session) to end.
func (term *terminal) waitExit() {
	term.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command(term.tmux, "-S", term.sock, "has-session", "-t", "main").Run() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	term.t.Errorf("still running 10s after quitting:\n%s", term.screen())
}

// TestTmux_DemoUI runs the real binary's demo in a real terminal (tmux),
// presses keys as a person would and reads the screen.
func TestTmux_DemoUI(t *testing.T) {
	bin := shoalBinary(t)
	// A slow rate keeps the download going while the test looks at it.
	term := newTerminal(t, 100, 30, bin+" demo --size 24MiB --rate 2MiB --piece-length 64KiB --dir "+t.TempDir()+
		" --log-file "+filepath.Join(t.TempDir(), "log"))
	s := term.waitFor("downloading")
	if !strings.Contains(s, "shoal-sample") || !strings.Contains(s, "[1 Peers") {
		t.Errorf("the leecher's detail view is not open:\n%s", s)
	}
	term.keys("2")
	term.waitFor("pieces of 64 KiB")
	term.keys("p")
	term.waitFor("paused")
	term.keys("p")
	term.waitFor("downloading")
	term.keys("q")
	term.waitExit()
}

// TestTmux_UIResumesWhatWasAdded seeds a folder, stops, and checks that
// 'shoal ui' brings the torrent back, seeding, with no re-hash.
func TestTmux_UIResumesWhatWasAdded(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "holiday-photos")
	writeTree(t, data, map[string]int{"a.jpg": 300_000, "b.jpg": 200_000})
	state := filepath.Join(dir, "state")
	p := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", state, "--progress-every", "100ms")
	p.waitFor(t, ` seeding `, 30*time.Second)
	p.stop()
	<-p.done

	term := newTerminal(t, 100, 30, bin+" ui --listen 127.0.0.1:0 --no-dht --state-dir "+state+" --download-dir "+dir)
	s := term.waitFor("seeding")
	if !strings.Contains(s, "holiday-photos") {
		t.Errorf("ui does not show the torrent seeded before:\n%s", s)
	}
	// c on the magnet screen copies the link with OSC 52; tmux, told to
	// accept that, keeps it as a paste buffer we can read back.
	term.run("set-option", "-s", "set-clipboard", "on")
	term.keys("m")
	term.waitFor("Magnet link of holiday-photos")
	term.keys("c")
	term.waitFor("copied the magnet link")
	if buf := term.run("show-buffer"); !strings.HasPrefix(buf, "magnet:?xt=urn:btih:") || !strings.Contains(buf, "dn=holiday-photos") {
		t.Errorf("tmux's clipboard holds %q, want the magnet link", buf)
	}
	term.keys("Escape")
	// Escape and q read in one go are alt+q, which quits nothing: wait
	// for the magnet screen to close before pressing q.
	term.waitFor("seeding")
	term.keys("q")
	term.waitExit()
}
