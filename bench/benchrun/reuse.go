//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// reuse measures get --reuse with every file of the torrent already in the
// named folder, and no peer: the time to find them (BLAKE3 of the files of
// a wanted length), put them in place (a reflink where the file system
// can, else copy_file_range) and check every piece.
func (b *bench) reuse(torrent, payload string, sizeMiB int64) {
	out := filepath.Join(b.dir, "reuse-leech")
	defer os.RemoveAll(out)
	defer os.RemoveAll(out + "-state")
	cmd := exec.Command(b.shoal, "get", torrent, "-o", out, "--reuse", payload, "--listen", "127.0.0.1:0",
		"--no-tui", "--no-dht", "--json", "--state-dir", out+"-state")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	start := time.Now()
	check(cmd.Run())
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var had struct {
		Files, OfFiles, Reused int
		Bytes                  int64
	}
	var sum struct{ Downloaded int64 }
	for _, line := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.Contains(line, `"event":"already-had"`):
			check(json.Unmarshal([]byte(line), &had))
		case strings.Contains(line, `"type":"summary"`):
			check(json.Unmarshal([]byte(line), &sum))
		}
	}
	fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall incl. start, find, place and piece check; %d of %d files put in place, %d bytes downloaded; %.2f CPU s)  %s\n",
		"reuse, folder present:", float64(sizeMiB)/wall.Seconds(), wall.Seconds(), had.Reused, had.OfFiles, sum.Downloaded,
		cpu(ru), b.tag(0))
}
