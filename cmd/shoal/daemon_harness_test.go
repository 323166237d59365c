package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// testDaemon is a `shoal daemon` running in this process on a real Unix
// socket, with its own state and download folders.
type testDaemon struct {
	*proc
	sock, state, dl string
}

// shortTemp is a temporary folder with a short path: a Unix socket's path
// must fit in 108 bytes, and t.TempDir's often does not.
func shortTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "shd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startDaemon(t *testing.T, state string, extra ...string) *testDaemon {
	t.Helper()
	d := &testDaemon{sock: filepath.Join(shortTemp(t), "d.sock"), state: state, dl: t.TempDir()}
	args := append([]string{"daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", state, "--socket", d.sock,
		"--download-dir", d.dl}, extra...)
	d.proc = shoalStart(t, args...)
	d.waitFor(t, `shoal daemon \d+ ready`, 30*time.Second)
	return d
}

// cli runs a client command against d.
func (d *testDaemon) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return shoalRun(t, append(args, "--socket", d.sock)...)
}

// must runs a client command that has to succeed.
func (d *testDaemon) must(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := d.cli(t, args...)
	if code != 0 {
		t.Fatalf("shoal %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

func (d *testDaemon) rows(t *testing.T) []daemon.Row {
	t.Helper()
	var rows []daemon.Row
	if out := d.must(t, "ls", "--json"); json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("ls --json printed no JSON list: %q", out)
	}
	return rows
}

// waitRow polls ls until ok holds for the row of id.
func (d *testDaemon) waitRow(t *testing.T, id int, what string, timeout time.Duration, ok func(daemon.Row) bool) daemon.Row {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []daemon.Row
	for time.Now().Before(deadline) {
		last = d.rows(t)
		for _, r := range last {
			if r.ID == id && ok(r) {
				return r
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("torrent %d not %s within %v: %+v", id, what, timeout, last)
	return daemon.Row{}
}

// waitDetail polls show --json until ok holds.
func (d *testDaemon) waitDetail(t *testing.T, id, what string, ok func(daemon.Detail) bool) daemon.Detail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var dt daemon.Detail
	for time.Now().Before(deadline) {
		dt = daemon.Detail{}
		if err := json.Unmarshal([]byte(d.must(t, "show", id, "--json")), &dt); err != nil {
			t.Fatalf("show --json: %v", err)
		}
		if ok(dt) {
			return dt
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("torrent %s not %s within 30s: %+v", id, what, dt)
	return dt
}
