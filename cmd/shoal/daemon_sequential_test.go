package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// TestDaemon_Sequential: shoal add --sequential and shoal set
// --sequential=BOOL reach the engine, ls shows it, and a restarted daemon
// keeps the choice; before, the daemon could not download in order.
func TestDaemon_Sequential(t *testing.T) {
	state := t.TempDir()
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000})
	torrent := filepath.Join(dir, "d.torrent")
	createTorrent(t, data, torrent)
	d := startDaemon(t, state)
	d.must(t, "add", torrent, "--paused", "--sequential")
	d.waitRow(t, 1, "sequential", 10*time.Second, func(r daemon.Row) bool { return r.Sequential })
	d.must(t, "set", "1", "--sequential=false")
	d.waitRow(t, 1, "not sequential", 10*time.Second, func(r daemon.Row) bool { return !r.Sequential })
	d.must(t, "set", "1", "--sequential")
	d.stop()
	<-d.done
	d = startDaemon(t, state)
	d.waitRow(t, 1, "sequential after a restart", 10*time.Second, func(r daemon.Row) bool { return r.Sequential })
}
