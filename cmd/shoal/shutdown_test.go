package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
)

// TestShutdown_CtrlCMidDownload interrupts a real `shoal get` halfway
// (SIGINT, as Ctrl-C sends): it must announce `stopped` to its tracker,
// leave a clean resume record that covers what it had verified, and exit
// with 130 within 2 s.
func TestShutdown_CtrlCMidDownload(t *testing.T) {
	bin := shoalBinary(t)
	tr := testnet.StartTracker(t)
	const size = 24 << 20
	_, addr, _, torrentPath, _ := seedFolderRate(t, map[string]int{"s.bin": size}, 64<<10, "4MiB")
	base := t.TempDir()
	state := filepath.Join(base, "state")
	c := startChild(t, bin, "get", torrentPath, "-o", filepath.Join(base, "out"), "--state-dir", state,
		"--listen", "127.0.0.1:0", "--peer", addr, "--tracker", tr.URL, "--json", "--no-dht", "--progress-every", "50ms")
	deadline := time.Now().Add(20 * time.Second)
	for num(c.last("progress"), "doneBytes") < 4<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress in 20s:\n%s", c.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Contains(tr.Events(), "started") {
		t.Fatalf("tracker saw %q, want a started announce first", tr.Events())
	}
	seen := num(c.last("progress"), "doneBytes")
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGINT:\n%s", c.output())
	}
	took := time.Since(start)
	t.Logf("exited %v after SIGINT; tracker events %q", took, tr.Events())
	var ee *exec.ExitError
	if !errors.As(c.err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit: %v, want code %d", c.err, exitInterrupted)
	}
	if took > 2*time.Second {
		t.Errorf("took %v to exit after SIGINT, want under 2s", took)
	}
	if !slices.Contains(tr.Events(), "stopped") {
		t.Errorf("tracker saw %q, want a stopped announce", tr.Events())
	}
	tor, err := pieces.Load(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pieces.LoadResume(resumeRecord(t, state, tor.InfoHash), tor.Info)
	if err != nil {
		t.Fatalf("no usable resume record after Ctrl-C: %v", err)
	}
	if r.Writing {
		t.Error("resume record after a clean shutdown still says files may change after it")
	}
	if got := int64(r.Have.Count()) * tor.Info.PieceLength; got < seen {
		t.Errorf("resume record has %d bytes of pieces; the run had shown %d verified", got, seen)
	}
}

// TestShutdown_CtrlCSeed: a seed stops as fast, announcing stopped.
func TestShutdown_CtrlCSeed(t *testing.T) {
	bin := shoalBinary(t)
	tr := testnet.StartTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 4 << 20})
	c := startChild(t, bin, "seed", data, "--listen", "127.0.0.1:0", "--json", "--no-dht", "--state-dir", filepath.Join(dir, "state"),
		"--tracker", tr.URL)
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(tr.Events(), "started") {
		if time.Now().After(deadline) {
			t.Fatalf("seed never announced:\n%s", c.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("seed still running 10s after SIGINT")
	}
	took := time.Since(start)
	t.Logf("seed exited %v after SIGINT (%v)", took, c.err)
	if c.err != nil {
		t.Errorf("seed stopped by Ctrl-C: %v, want exit 0", c.err)
	}
	if took > 2*time.Second {
		t.Errorf("took %v, want under 2s", took)
	}
	if !slices.Contains(tr.Events(), "stopped") {
		t.Errorf("tracker saw %q, want stopped", tr.Events())
	}
}
