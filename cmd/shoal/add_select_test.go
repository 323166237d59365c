package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// TestDaemon_AddSelectTorrent: shoal add FILE.torrent with --only, --files
// and --skip, as get takes them: a choice that matches nothing is refused
// with exit 2 naming it before the daemon hears of it; a good one brings
// the chosen files byte for byte and never creates the others.
func TestDaemon_AddSelectTorrent(t *testing.T) {
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, selFiles)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, "--tracker", announce, "--piece-length", "16KiB")
	seed := shoalStart(t, "seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", filepath.Join(dir, "state"), "--progress-every", "100ms")
	seed.waitFor(t, ` seeding `, 30*time.Second)
	d := startDaemon(t, t.TempDir())

	for _, bad := range []struct {
		flags []string
		names string
	}{
		{[]string{"--only", "nothing-*.iso"}, "nothing-*.iso"},
		{[]string{"--files", "1,9"}, "9"},
		{[]string{"--files", "2-1"}, "2-1"},
		{[]string{"--only", "*.txt", "--skip", "*"}, "leaves no file"},
	} {
		code, out, errs := d.cli(t, append([]string{"add", tor}, bad.flags...)...)
		if code != 2 || !strings.Contains(errs, bad.names) {
			t.Errorf("add %v: exit %d, stderr %q; want exit 2 naming %q\nstdout: %s", bad.flags, code, errs, bad.names, out)
		}
	}
	if rows := d.rows(t); len(rows) != 0 {
		t.Fatalf("a refused selection reached the daemon: %+v", rows)
	}

	d.must(t, "add", tor, "--only", "*.txt", "--files", "3", "--skip", "sub/c.txt")
	d.waitRow(t, 1, "verified with b.txt and sub/d.bin", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	got := filepath.Join(d.dl, "dataset")
	sameFileAs(t, filepath.Join(data, "b.txt"), filepath.Join(got, "b.txt"))
	sameFileAs(t, filepath.Join(data, "sub", "d.bin"), filepath.Join(got, "sub", "d.bin"))
	absent(t, filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "sub", "c.txt"))
}

// TestDaemon_AddSelectMagnet: a magnet's --only and --skip travel to the
// daemon and replace the link's so= once the info arrives; one that then
// matches nothing fails that torrent, naming the glob.
func TestDaemon_AddSelectMagnet(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, selFiles)
	d := startDaemon(t, t.TempDir())
	// so=0 would want a.bin: the flags win over it.
	d.must(t, "add", magnet+"&so=0", "--only", "sub/**", "--skip", "*.bin")
	d.waitRow(t, 1, "verified with sub/c.txt", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	got := filepath.Join(d.dl, "dataset")
	sameFileAs(t, filepath.Join(data, "sub", "c.txt"), filepath.Join(got, "sub", "c.txt"))
	absent(t, filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "b.txt"))
	absent(t, filepath.Join(got, "sub", "d.bin"))

	other := startDaemon(t, t.TempDir())
	other.must(t, "add", magnet, "--only", "nothing-*.iso")
	r := other.waitRow(t, 1, "failed", 60*time.Second, func(r daemon.Row) bool { return r.Error != "" })
	if !strings.Contains(r.Error, "nothing-*.iso") {
		t.Errorf("the torrent's error is %q; want it to name the glob", r.Error)
	}
	absent(t, filepath.Join(other.dl, "dataset"))
}
