package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/internal/headless"
)

// TestDaemon_SuperSeed: shoal seed --daemon --super-seed makes the
// daemon's torrent an initial seed by BEP 16: ls --json says it
// super-seeds, a get of its magnet with the daemon's address completes
// byte for byte, and a restarted daemon, whose torrent is still complete
// and unspread, super-seeds it again. Before, --daemon refused the flag.
func TestDaemon_SuperSeed(t *testing.T) {
	state := t.TempDir()
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000, "sub/b.bin": 70_001})
	d := startDaemon(t, state)
	d.must(t, "seed", data, "--daemon", "--super-seed", "--state-dir", t.TempDir(), "--piece-length", "16KiB")
	d.waitRow(t, 1, "super-seeding", 30*time.Second, func(r daemon.Row) bool { return r.SuperSeeding })
	if out := d.must(t, "ls", "--json"); !strings.Contains(out, `"super_seeding":true`) {
		t.Errorf("ls --json says no \"super_seeding\":true: %s", out)
	}

	d.stop()
	<-d.done
	d = startDaemon(t, state, "--rpc", "127.0.0.1:0")
	row := d.waitRow(t, 1, "super-seeding after a restart", 30*time.Second, func(r daemon.Row) bool { return r.SuperSeeding })
	if chromium := headless.Find(); chromium != "" {
		url := d.waitFor(t, `HTTP control on (http://\S+/) `, time.Second)[1]
		ctx := chromeContext(t, chromium)
		browse(t, ctx, "see the web UI mark the row", chromedp.Navigate(url),
			chromedp.WaitVisible(`#rows tr[data-id="1"] span.label.super`))
	} else {
		t.Log("no chromium: the web UI's super-seed mark is not checked (.ci/run installs chromium)")
	}
	peer := d.waitFor(t, `peers on (\S+),`, time.Second)[1]

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", "magnet:?xt=urn:btih:"+row.InfoHash, "--peer", peer, "-o", out,
		"--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get from the daemon's super-seed: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}
