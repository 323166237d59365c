package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A real watch folder with good, bad and symlinked files: the good ones
// are added and renamed .added, the bad ones renamed .invalid, and a
// symlink out of the folder is not followed (and its target not touched).
func TestWatch_AddsGoodRenamesBadSkipsSymlinksOut(t *testing.T) {
	dl := t.TempDir()
	d, _ := newTestDaemon(t, dl, HTTPAuth{})
	watch, outside := t.TempDir(), t.TempDir()
	src := t.TempDir()
	good, magnet, linked, inside := makeTorrent(t, src, "good"), makeTorrent(t, src, "mag"), makeTorrent(t, src, "linked"), makeTorrent(t, src, "inside")
	write := func(dir, name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(watch, "good.torrent", good.Bytes())
	write(watch, "mag.magnet", []byte(magnet.Magnet()+"\n"))
	write(watch, "bad.torrent", []byte("d4:infoi3ee"))
	write(watch, "bad.magnet", []byte("magnet:?xt=urn:btih:nothex"))
	write(watch, "notes.txt", []byte("not for us"))
	write(watch, ".hidden.torrent", good.Bytes())
	target := write(outside, "secret.torrent", linked.Bytes())
	if err := os.Symlink(target, filepath.Join(watch, "out.torrent")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(watch, "sub"), 0o755)
	write(filepath.Join(watch, "sub"), "real.bin", inside.Bytes())
	if err := os.Symlink(filepath.Join("sub", "real.bin"), filepath.Join(watch, "in.torrent")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute) // settled: not being written any more
	filepath.Walk(watch, func(p string, _ os.FileInfo, _ error) error { os.Chtimes(p, old, old); return nil })
	os.Chtimes(target, old, old)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.Watch(ctx, watch, 50*time.Millisecond); err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	defer wg.Wait()
	defer cancel()

	want := map[string]bool{
		"good.torrent.added": true, "mag.magnet.added": true, "in.torrent.added": true,
		"bad.torrent.invalid": true, "bad.magnet.invalid": true, "out.torrent.invalid": true,
		"notes.txt": true, ".hidden.torrent": true, "sub": true,
	}
	deadline := time.Now().Add(20 * time.Second)
	var names []string
	for time.Now().Before(deadline) {
		names = names[:0]
		es, _ := os.ReadDir(watch)
		ok := len(es) == len(want)
		for _, e := range es {
			names = append(names, e.Name())
			ok = ok && want[e.Name()]
		}
		if ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(names) != len(want) {
		t.Fatalf("watch folder holds %q; want %d names: good ones .added, bad ones and the symlink out .invalid", names, len(want))
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("watch folder holds %q, which should not be there (all: %q)", n, names)
		}
	}
	got := map[string]bool{}
	for _, r := range d.List() {
		got[r.Name] = true
	}
	if len(got) != 3 || !got["good"] || !got["mag"] || !got["inside"] {
		t.Errorf("torrents added: %v; want good, mag and inside (not linked, behind the symlink out)", got)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != string(linked.Bytes()) {
		t.Errorf("the symlink's target outside the folder was touched: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(watch, "out.torrent.invalid")); err != nil {
		t.Errorf("the symlink out was not renamed .invalid: %v", err)
	}
}

// A file written a moment ago may be half-written: it waits for the next poll.
func TestWatch_WaitsForAFileToSettle(t *testing.T) {
	d, _ := newTestDaemon(t, t.TempDir(), HTTPAuth{})
	watch := t.TempDir()
	os.WriteFile(filepath.Join(watch, "half.torrent"), []byte("d4:info"), 0o644)
	d.watchOnce(context.Background(), watch, time.Hour, map[string]bool{})
	if _, err := os.Stat(filepath.Join(watch, "half.torrent")); err != nil {
		t.Errorf("a file being written was handled: %v", err)
	}
}
