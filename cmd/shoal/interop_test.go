package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/tracker"
)

// needTool skips a test when an independent client is missing, except in
// CI, where .ci/run installs it and a skip would hide a lost test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; .ci/run should have installed it", name)
		}
		t.Skipf("%s is not installed (apt-get install aria2 tmux); skipping the interop test", name)
	}
	return path
}

// startTracker runs shoal's LAN tracker on loopback and returns its
// announce URL.
func startTracker(t *testing.T) string {
	t.Helper()
	srv, err := tracker.New(tracker.Config{HTTPAddr: "127.0.0.1:0", UDPAddr: tracker.Off, Interval: 2 * time.Second,
		MinInterval: time.Second, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return fmt.Sprintf("http://%s/announce", srv.HTTPAddr())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// aria2 runs aria2c with everything but the tracker off, so the two
// clients can only have met through it.
func aria2(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	base := []string{"--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
		"--enable-peer-exchange=false", "--disable-ipv6=true", "--console-log-level=warn",
		"--summary-interval=0", "--bt-tracker-connect-timeout=5", "--bt-tracker-interval=2",
		"--file-allocation=none", "--allow-overwrite=false", "--auto-save-interval=0",
		fmt.Sprintf("--listen-port=%d", freePort(t))}
	cmd := exec.CommandContext(ctx, needTool(t, "aria2c"), append(base, args...)...)
	return cmd
}

var interopTree = map[string]int{"big.bin": 3<<20 + 12345, "docs/readme.txt": 40_000, "docs/ünï cödé.txt": 777, "empty": 0}

func TestInterop_Aria2DownloadsFromShoal(t *testing.T) {
	aria2DownloadsFromShoal(t)
}

// aria2DownloadsFromShoal: aria2c downloads from `shoal seed` a torrent
// made by `shoal create createArgs...`, meeting it through the tracker
// only, and checks it; the files must match byte for byte. It returns
// aria2's download folder.
func aria2DownloadsFromShoal(t *testing.T, createArgs ...string) string {
	out, _ := aria2DownloadsFromSeed(t, 60*time.Second, createArgs, nil)
	return out
}

// aria2DownloadsFromSeed is aria2DownloadsFromShoal with seedArgs added to
// `shoal seed` and aria2 given limit; it also returns the seed, for what
// it logged.
func aria2DownloadsFromSeed(t *testing.T, limit time.Duration, createArgs, seedArgs []string) (string, *proc) {
	needTool(t, "aria2c")
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, interopTree)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, append([]string{"--tracker", announce}, createArgs...)...)
	seed := shoalStart(t, append([]string{"seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "state"), "--progress-every", "100ms"}, seedArgs...)...)
	seed.waitFor(t, ` seeding `, 30*time.Second)

	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := aria2(t, ctx, "--dir="+out, "--seed-time=0", "--check-integrity=true", tor)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aria2c: %v\n%s\nshoal seed said:\n%s%s", err, b, seed.out.String(), seed.err.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
	return out, seed
}

func TestInterop_ShoalDownloadsFromAria2(t *testing.T) {
	needTool(t, "aria2c")
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, interopTree)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, "--tracker", announce)
	ctx, cancel := context.WithCancel(t.Context())
	seeder := aria2(t, ctx, "--dir="+dir, "--check-integrity=true", "--seed-ratio=0.0", tor)
	var aout syncBuffer
	seeder.Stdout, seeder.Stderr = &aout, &aout
	if err := seeder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); seeder.Wait() })

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", t.TempDir(), "--progress-every", "1s")
	if code != 0 {
		t.Fatalf("get from aria2c: exit %d\n%s\n%s\naria2c said:\n%s", code, stdout, stderr, aout.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
	if !strings.Contains(stdout, "verified") {
		t.Errorf("get did not report the BLAKE3 check:\n%s", stdout)
	}
}
