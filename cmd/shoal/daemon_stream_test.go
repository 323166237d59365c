package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

func TestDaemonStreamsWhatItHolds(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 4 << 20, "b.txt": 1000})
	want, err := os.ReadFile(filepath.Join(data, "a.bin"))
	if err != nil {
		t.Fatal(err)
	}
	seed := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", filepath.Join(dir, "seedstate"),
		"--piece-length", "16KiB", "--up-limit", "512KiB")
	magnet := seed.waitFor(t, `Magnet with this peer: (\S+)`, 30*time.Second)[1]
	d := startDaemon(t, t.TempDir())
	base := d.waitFor(t, `files streamed at (http://127\.0\.0\.1:\d+)/`, time.Second)[1]
	d.must(t, "add", magnet)
	dt := d.waitDetail(t, "1", "with stream URLs", func(dt daemon.Detail) bool { return len(dt.URLs) == 2 })
	u := dt.URLs[0]
	if !strings.HasPrefix(u, base+"/") || !strings.HasSuffix(u, "/0/dataset/a.bin") {
		t.Fatalf("URL of file 0 is %q, want it under %s naming dataset/a.bin", u, base)
	}
	from, to := 2<<20+3, 2<<20+100_000
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[from:to+1]) {
		t.Fatalf("GET %s: %d, %v, %d bytes (equal %v)", u, resp.StatusCode, err, len(got), bytes.Equal(got, want[from:to+1]))
	}
	if out := d.must(t, "show", "1"); !strings.Contains(out, "STREAM URL") || !strings.Contains(out, u) {
		t.Errorf("show does not list the stream URLs:\n%s", out)
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestDaemonStreamOffAndLoopbackOnly(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "--stream", "off")
	if strings.Contains(d.out.String(), "streamed at") {
		t.Errorf("--stream off still streams: %s", d.out.String())
	}
	code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir(),
		"--socket", filepath.Join(shortTemp(t), "d.sock"), "--stream", "0.0.0.0:0")
	if code != exitUsage || !strings.Contains(errs, "loopback") {
		t.Errorf("daemon --stream 0.0.0.0:0: exit %d, %q; want %d saying loopback", code, errs, exitUsage)
	}
}
