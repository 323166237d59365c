package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStreamServesARangeWhileDownloading(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 8 << 20, "b.txt": 1000})
	want, err := os.ReadFile(filepath.Join(data, "a.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// 8 MiB at 512 KiB/s: 16 s for the whole file.
	seed := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", filepath.Join(dir, "seedstate"),
		"--piece-length", "16KiB", "--up-limit", "512KiB")
	magnet := seed.waitFor(t, `Magnet with this peer: (\S+)`, 30*time.Second)[1]
	out := filepath.Join(dir, "out")
	st := shoalStart(t, "stream", magnet, "a.bin", "-o", out, "--listen", "127.0.0.1:0", "--no-dht",
		"--state-dir", filepath.Join(dir, "state"), "--http", "127.0.0.1:0")
	u := st.waitFor(t, `(?m)^(http://127\.0\.0\.1:\d+/\S+)$`, 30*time.Second)[1]
	if !strings.HasSuffix(u, "/0/dataset/a.bin") {
		t.Fatalf("URL %q does not name file 0, dataset/a.bin", u)
	}
	from, to := 3<<20+5, 3<<20+200_000
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("GET %s: %d, %v", u, resp.StatusCode, err)
	}
	if !bytes.Equal(got, want[from:to+1]) {
		t.Fatalf("got %d bytes, not the file's %d at %d", len(got), to+1-from, from)
	}
	if strings.Count(st.out.String(), "http://") != 1 {
		t.Errorf("stream printed more than the one file's URL:\n%s", st.out.String())
	}
	st.stop()
	<-st.done
	if st.code != exitInterrupted {
		t.Errorf("stream stopped mid-download exited %d, want %d", st.code, exitInterrupted)
	}
	if _, err := os.Stat(filepath.Join(out, "dataset", "b.txt")); err == nil {
		t.Error("b.txt, not asked for, was created")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestStreamRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 1000, "b.bin": 1000})
	tor := filepath.Join(dir, "d.torrent")
	createTorrent(t, data, tor)
	code, _, errs := shoalRun(t, "stream", tor, "nope.bin", "-o", t.TempDir(), "--no-dht", "--listen", "127.0.0.1:0",
		"--state-dir", t.TempDir())
	if code != exitUsage || !strings.Contains(errs, "nope.bin") {
		t.Errorf("stream of a file not in the torrent: exit %d, %q; want %d naming it", code, errs, exitUsage)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs = shoalRun(t, "stream", tor, "-o", t.TempDir(), "--no-dht", "--listen", "127.0.0.1:0",
		"--state-dir", t.TempDir(), "--http", ln.Addr().String())
	if code != exitListen {
		t.Errorf("stream on a taken --http address: exit %d, %q; want %d", code, errs, exitListen)
	}
}
