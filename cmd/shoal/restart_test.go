package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readyAfter starts `shoal seed args...` and returns how long it took to
// print a progress line in state seeding, and that line.
func readyAfter(t *testing.T, bin string, args ...string) (time.Duration, map[string]any, *child) {
	t.Helper()
	start := time.Now()
	c := startChild(t, bin, append([]string{"seed"}, args...)...)
	deadline := start.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if p := c.last("progress"); p != nil && p["state"] != "checking" {
			return time.Since(start), p, c
		}
		select {
		case <-c.done:
			t.Fatalf("seed exited (%v):\n%s", c.err, c.output())
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatalf("seed not ready in 60s:\n%s", c.output())
	return 0, nil, nil
}

func stopChild(t *testing.T, c *child) {
	t.Helper()
	c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("seed did not stop")
	}
}

// TestSeedRestart_1GiBReadyUnderASecond: seeding an unchanged 1 GiB folder
// again is ready in under a second (file stamps, no hashing); a file that
// changed is caught and only its pieces are hashed again, and pieces that
// no longer match are not offered.
func TestSeedRestart_1GiBReadyUnderASecond(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "big")
	// 8 files of 127 MiB (sparse: the test measures stat, not the disk)
	// and 1000 small ones, 1 GiB in all.
	total := int64(8 * 127 << 20)
	for i := range 8 {
		p := filepath.Join(data, fmt.Sprintf("part%d.bin", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(127 << 20)
		f.WriteAt([]byte(fmt.Sprintf("part %d", i)), 12345)
		f.Close()
	}
	for i := range 1000 {
		p := filepath.Join(data, "small", fmt.Sprintf("%03d", i/100), fmt.Sprintf("s%04d.txt", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		b := []byte(strings.Repeat(fmt.Sprint(i), 1000))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		total += int64(len(b))
	}
	state := filepath.Join(dir, "state")
	args := []string{data, "--listen", "127.0.0.1:0", "--json", "--no-dht", "--state-dir", state, "--progress-every", "1ms"}

	first, _, c := readyAfter(t, bin, args...)
	torrentPath := jsonField(c.output(), "torrent")
	stopChild(t, c)
	second, p, c := readyAfter(t, bin, args...)
	stopChild(t, c)
	t.Logf("1 GiB folder: first seed ready in %v (hashing), restart ready in %v", first, second)
	if p["state"] != "seeding" || p["progress"] != 1.0 {
		t.Errorf("restart: %v", p)
	}
	if second >= time.Second {
		t.Errorf("restart of an unchanged 1 GiB seed took %v; want under 1s", second)
	}

	// An edit that kept size and mtime (touch -r, rsync -t) passes the
	// stamps: the folder seeds at once from the cache, and the BLAKE3
	// check behind it catches the edit.
	small := filepath.Join(data, "small", "000", "s0005.txt")
	st, err := os.Stat(small)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(small, []byte(strings.Repeat("6", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(small, st.ModTime(), st.ModTime())
	took, _, c := readyAfter(t, bin, args...)
	t.Logf("after an mtime-preserving edit: ready in %v", took)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.output(), "s0005.txt changed on disk: 1 of 1 pieces no longer match") {
		if time.Now().After(deadline) {
			t.Fatalf("the BLAKE3 check did not report the edit:\n%s", c.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopChild(t, c)
	if b, _ := os.ReadFile(small); string(b) != strings.Repeat("6", 1000) {
		t.Error("the seed wrote over the user's edited file")
	}

	// A file changes behind shoal's back (same size, new content and
	// mtime). Seeding the .torrent again re-hashes just that file; the
	// piece holding the change is not offered, nor fetched again over the
	// user's edit, and the seed says so.
	changed := filepath.Join(data, "part3.bin")
	f, err := os.OpenFile(changed, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("tampered"), 50<<20)
	f.Close()
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(changed, later, later)
	took, p, c = readyAfter(t, bin, torrentPath, "--data", dir, "--listen", "127.0.0.1:0", "--json", "--no-dht",
		"--state-dir", state, "--progress-every", "1ms")
	stopChild(t, c)
	t.Logf("after changing one 127 MiB file: ready in %v, %v", took, p)
	if p["state"] != "seeding" || num(p, "doneBytes") != num(p, "wantedBytes") {
		t.Errorf("after an edit: %v; want seeding what still matches", p)
	}
	// Only the pieces holding the two changes went missing.
	if missing := total - num(p, "wantedBytes"); missing <= 0 || missing > 2<<20 {
		t.Errorf("%d bytes not offered after changing one block; want the piece(s) holding the change only", missing)
	}
	if out := c.output(); !strings.Contains(out, "big/part3.bin changed on disk: 1 of") ||
		!strings.Contains(out, "not re-downloading over your edit") {
		t.Errorf("no changed-file message in the output:\n%s", out)
	}

}
