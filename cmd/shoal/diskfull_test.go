package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// smallDisk mounts a tmpfs of sizeMiB at a temporary directory for the
// test (root only) and unmounts it at cleanup.
func smallDisk(t *testing.T, sizeMiB int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root; the engine's disk-full path is also tested with an injected fault (swarm TestDisk_FullPausesThenRecovers)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", sizeMiB), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs (%v: %s); skipping", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestDiskFull_RealFilesystem downloads into a tmpfs too small for the
// payload: the download stalls with "disk full" while still serving what
// it verified, Ctrl-C then exits 5 with only verified pieces recorded,
// and once space is freed the same command finishes the download.
func TestDiskFull_RealFilesystem(t *testing.T) {
	bin := shoalBinary(t)
	disk := smallDisk(t, 24)
	const size = 16 << 20
	// A filler leaves about 10 MiB for the 16 MiB payload.
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, 14<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	data, addr, _, torrentPath, _ := seedFolderRate(t, map[string]int{"f.bin": size}, 64<<10, "16MiB")
	state := filepath.Join(t.TempDir(), "state")
	out := filepath.Join(disk, "out")
	args := []string{"get", torrentPath, "-o", out, "--state-dir", state, "--listen", "127.0.0.1:0", "--peer", addr,
		"--json", "--no-dht", "--progress-every", "100ms"}
	c := startChild(t, bin, args...)
	deadline := time.Now().Add(30 * time.Second)
	for c.last("progress") == nil || c.last("progress")["stalled"] != "disk full" {
		if time.Now().After(deadline) {
			t.Fatalf("no disk-full stall within 30s:\n%s", c.output())
		}
		select {
		case <-c.done:
			t.Fatalf("get exited (%v) instead of pausing on a full disk:\n%s", c.err, c.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(c.output(), `"event":"disk-full"`) {
		t.Errorf("no disk-full event in the output")
	}
	done := num(c.last("progress"), "doneBytes")
	if done == 0 || done >= size {
		t.Fatalf("stalled with %d of %d bytes done", done, size)
	}

	// While full it still seeds what it has to another peer.
	listen := jsonField(c.output(), "listen")
	if listen == "" {
		t.Fatalf("no listen address in:\n%s", c.output())
	}
	other := shoalStart(t, "get", torrentPath, "-o", t.TempDir(), "--state-dir", t.TempDir(), "--listen", "127.0.0.1:0",
		"--peer", listen, "--no-tui", "--no-dht")
	for num(c.last("progress"), "uploaded") == 0 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("a full leecher served nothing to another peer:\n%s", c.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := c.last("progress")["stalled"]; s != "disk full" {
		t.Errorf("stalled = %v while still full", s)
	}
	other.stop()

	// Ctrl-C while full: exit 5.
	c.cmd.Process.Signal(syscall.SIGINT)
	<-c.done
	var ee *exec.ExitError
	if !errors.As(c.err, &ee) || ee.ExitCode() != exitDiskFull {
		t.Fatalf("Ctrl-C while the disk is full: %v, want exit %d\n%s", c.err, exitDiskFull, c.output())
	}
	// Only whole, verified pieces are on record.
	tor, err := pieces.Load(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pieces.LoadResume(resumeRecord(t, state, tor.InfoHash), tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []pieces.Index
	for i := range tor.Info.NumPieces() {
		if r.Have.Has(i) {
			recorded = append(recorded, i)
		}
	}
	if len(recorded) == 0 || len(recorded) == tor.Info.NumPieces() {
		t.Fatalf("resume records %d of %d pieces", len(recorded), tor.Info.NumPieces())
	}
	st, err := pieces.OpenStorage(out, tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	good, err := pieces.CheckPieces(context.Background(), st, tor.Info, recorded, 0, nil)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if good.Count() != len(recorded) {
		t.Fatalf("%d pieces on record but only %d pass their hash", len(recorded), good.Count())
	}

	// Space freed: the same command resumes and finishes.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c = startChild(t, bin, args...)
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("no finish 60s after space was freed:\n%s", c.output())
	}
	if c.err != nil {
		t.Fatalf("get after freeing space: %v\n%s", c.err, c.output())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}

// TestDiskFull_RecoversWhenSpaceFrees: a running get paused on a full disk
// resumes by itself once space frees up, and exits 0.
func TestDiskFull_RecoversWhenSpaceFrees(t *testing.T) {
	bin := shoalBinary(t)
	disk := smallDisk(t, 24)
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, 14<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	data, addr, _, torrentPath, _ := seedFolderRate(t, map[string]int{"g.bin": 16 << 20}, 64<<10, "16MiB")
	c := startChild(t, bin, "get", torrentPath, "-o", filepath.Join(disk, "out"), "--state-dir", t.TempDir(),
		"--listen", "127.0.0.1:0", "--peer", addr, "--json", "--no-dht", "--progress-every", "100ms")
	deadline := time.Now().Add(30 * time.Second)
	for c.last("progress") == nil || c.last("progress")["stalled"] != "disk full" {
		if time.Now().After(deadline) {
			t.Fatalf("no disk-full stall within 30s:\n%s", c.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("did not resume and finish within 60s of space freeing:\n%s", c.output())
	}
	if c.err != nil {
		t.Fatalf("get: %v\n%s", c.err, c.output())
	}
	sameTree(t, data, filepath.Join(disk, "out", "dataset"))
}
