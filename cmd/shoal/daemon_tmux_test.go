package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// TestTmux_UIAttachesToDaemon attaches the real binary's UI to a daemon,
// pauses and resumes through it, detaches with q, and checks the torrent
// still seeds: a download from the daemon afterwards gets every byte.
func TestTmux_UIAttachesToDaemon(t *testing.T) {
	bin := shoalBinary(t)
	d := startDaemon(t, t.TempDir())
	peer := d.waitFor(t, `peers on (\S+),`, time.Second)[1]
	dir := t.TempDir()
	data := filepath.Join(dir, "holiday-photos")
	writeTree(t, data, map[string]int{"a.jpg": 300_000, "b.jpg": 200_000})
	out := d.must(t, "seed", data, "--daemon", "--state-dir", t.TempDir())
	magnet := regexpFind(t, out, `Magnet:  (\S+)`)

	term := newTerminal(t, 100, 30, bin+" ui --socket "+d.sock+" --log-file "+filepath.Join(t.TempDir(), "log"))
	s := term.waitFor("seeding")
	if !strings.Contains(s, "holiday-photos") {
		t.Errorf("the attached UI does not show the daemon's torrent:\n%s", s)
	}
	term.keys("p")
	d.waitRow(t, 1, "paused from the UI", 10*time.Second, func(r daemon.Row) bool { return r.State == "paused" })
	term.waitFor("paused")
	// p toggles by the state the UI last fetched; let its poll (and the
	// engine's sampler) catch up with the pause first.
	time.Sleep(1500 * time.Millisecond)
	term.keys("p")
	d.waitRow(t, 1, "resumed from the UI", 10*time.Second, func(r daemon.Row) bool { return r.State == "seeding" })
	term.keys("q")
	term.waitExit()

	select {
	case <-d.done:
		t.Fatalf("the daemon stopped when the UI detached: exit %d\n%s", d.code, d.err.String())
	default:
	}
	d.waitRow(t, 1, "seeding after the UI left", 5*time.Second, func(r daemon.Row) bool { return r.State == "seeding" })
	got := t.TempDir()
	if code, out, errs := shoalRun(t, "get", magnet+"&x.pe="+peer, "-o", got, "--listen", "127.0.0.1:0", "--no-tui",
		"--no-dht", "--state-dir", t.TempDir()); code != 0 {
		t.Fatalf("get from the daemon after the UI detached: exit %d\n%s\n%s", code, out, errs)
	}
	sameTree(t, data, filepath.Join(got, "holiday-photos"))
}
