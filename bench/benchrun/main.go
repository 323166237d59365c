// Command benchrun measures shoal end to end as users run it: separate
// processes on loopback, a generated payload, and the kernel's account of
// CPU time and peak RSS for each process. 'make bench' runs it; it prints
// figures and asserts nothing.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	shoal := flag.String("shoal", "bin/shoal", "the shoal binary")
	sizeMiB := flag.Int64("size", 1024, "payload size in MiB")
	work := flag.String("dir", "", "work directory (default: a temporary one, removed after)")
	seedCounts := flag.String("seeds", "1,3", "comma-separated seed counts to measure")
	dhtRuns := flag.Int("dht-runs", 3, "magnet downloads to time on a 200-node DHT (0 for none)")
	flag.Parse()
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "shoal-bench-*")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	// The processes keep their DHT tables here, not in the user's own.
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg-state"))
	b := &bench{shoal: *shoal, dir: dir}
	shoalBin = *shoal
	payload := filepath.Join(dir, "payload")
	check(genPayload(payload, *sizeMiB<<20))
	fmt.Printf("payload: %d MiB in 4 files under %s\n\n", *sizeMiB, dir)

	torrent := filepath.Join(dir, "payload.torrent")
	ru, wall := b.runToEnd("create", "create", payload, "-o", torrent, "--force")
	fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall, %.2f CPU s, peak RSS %d MiB)\n", "create:",
		float64(*sizeMiB)/wall.Seconds(), wall.Seconds(), cpu(ru), ru.Maxrss>>10)

	for _, n := range strings.Split(*seedCounts, ",") {
		var count int
		if _, err := fmt.Sscan(n, &count); err == nil {
			b.transfer(torrent, payload, count, *sizeMiB)
		}
	}
	if *dhtRuns > 0 {
		b.dhtMagnet(torrent, payload, *dhtRuns)
	}
}

type bench struct {
	shoal string
	dir   string
}

// transfer runs count seeds and one leecher and prints the leecher's figures
// and each seed's share of what it received.
func (b *bench) transfer(torrent, payload string, count int, sizeMiB int64) {
	var peers []string
	var seeds []*exec.Cmd
	for i := range count {
		data := filepath.Join(b.dir, fmt.Sprintf("seed%d-%d", count, i))
		check(linkTree(payload, filepath.Join(data, "payload")))
		cmd := exec.Command(b.shoal, "seed", torrent, "--data", data, "--listen", "127.0.0.1:0",
			"--no-tui", "--no-dht", "--progress-every", "500ms", "--state-dir", filepath.Join(b.dir, fmt.Sprintf("seed%d-%d-state", count, i)))
		// Wait for the seed to finish checking its data, so the leecher's
		// time is transfer time.
		addr := startAndFind(cmd, regexp.MustCompile(`Listening on (\S+);`), regexp.MustCompile(` seeding `))
		peers = append(peers, addr)
		seeds = append(seeds, cmd)
	}
	out := filepath.Join(b.dir, fmt.Sprintf("leech%d", count))
	args := []string{"get", torrent, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--json",
		"--state-dir", filepath.Join(b.dir, fmt.Sprintf("leech%d-state", count))}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	cmd := exec.Command(b.shoal, args...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	start := time.Now()
	check(cmd.Run())
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	for _, s := range seeds {
		s.Process.Signal(os.Interrupt)
		s.Wait()
	}
	os.RemoveAll(out)
	gib := float64(sizeMiB) / 1024
	fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall incl. start and verify, %.2f CPU s/GiB, peak RSS %d MiB)\n",
		fmt.Sprintf("%d seed(s) -> 1 leecher:", count), float64(sizeMiB)/wall.Seconds(), wall.Seconds(), cpu(ru)/gib, ru.Maxrss>>10)
	var sum struct {
		Type       string
		Downloaded int64
		Peers      []struct {
			Addr       string
			Downloaded int64
		}
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(line, `"type":"summary"`) {
			check(json.Unmarshal([]byte(line), &sum))
		}
	}
	for _, p := range sum.Peers {
		if sum.Downloaded > 0 {
			fmt.Printf("    seed %-21s sent %5.1f%%\n", p.Addr, 100*float64(p.Downloaded)/float64(sum.Downloaded))
		}
	}
}

func (b *bench) runToEnd(name string, args ...string) (*syscall.Rusage, time.Duration) {
	cmd := exec.Command(b.shoal, args...)
	cmd.Stderr = io.Discard
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", name, err, out)
		os.Exit(1)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage), time.Since(start)
}

// startAndFind starts cmd, waits for a line of its stdout that matches re
// and then for one that matches ready, and returns re's first group.
func startAndFind(cmd *exec.Cmd, re, ready *regexp.Regexp) string {
	r, w := io.Pipe()
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		var addr string
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr = m[1]
			}
			if addr != "" && ready.MatchString(sc.Text()) {
				found <- addr
				break
			}
		}
		io.Copy(io.Discard, r) // keep the seed from blocking on a full pipe

	}()
	select {
	case s := <-found:
		return s
	case <-time.After(2 * time.Minute):
		fmt.Fprintln(os.Stderr, "benchrun: seed did not start")
		os.Exit(1)
	}
	return ""
}

func cpu(ru *syscall.Rusage) float64 {
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
}

// genPayload writes size bytes of pseudo-random data in four files of
// unequal sizes, so pieces straddle file boundaries.
func genPayload(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'s', 'h', 'o', 'a', 'l'})
	parts := []int64{size / 2, size / 4, size / 8, size - size/2 - size/4 - size/8}
	for i, n := range parts {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part%d.bin", i)))
		if err != nil {
			return err
		}
		if _, err := io.CopyN(f, rng, n); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// linkTree hard-links src's files into dst: seeds only read, so they can
// share one copy of the payload.
func linkTree(src, dst string) error {
	return filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(path, filepath.Join(dst, rel))
	})
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}
