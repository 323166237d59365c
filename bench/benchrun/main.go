//go:build linux

// Command benchrun measures shoal end to end as users run it: separate
// processes on loopback, a generated payload, and the kernel's account of
// CPU time and peak RSS for each process. 'make bench' runs it; it prints
// figures and asserts nothing.
//
// Every figure line ends with the commit measured and the settle time: how
// long the machine sat idle before that measurement. On a VM that hands
// freed memory back to the host, a transfer after 15 s of idle writes into
// cold pages (up to 4 s of kernel CPU per GiB here) and one straight after
// another does not, so each transfer is run cold, then warm, and runs are
// only comparable with the same settle time.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-bt/shoal/internal/seedproc"
)

func main() {
	shoal := flag.String("shoal", "bin/shoal", "the shoal binary")
	sizeMiB := flag.Int64("size", 1024, "payload size in MiB")
	work := flag.String("dir", "", "work directory (default: a temporary one, removed after)")
	seedCounts := flag.String("seeds", "1,3", "comma-separated seed counts to measure")
	dhtRuns := flag.Int("dht-runs", 3, "magnet downloads to time on a 200-node DHT (0 for none)")
	settle := flag.Duration("settle", 15*time.Second, "idle time before the cold run of each measurement")
	webSeed := flag.Bool("webseed", false, "measure a download from nginx as a web seed (BEP 19), alone and next to a peer seed")
	streamMiB := flag.Int64("stream-mib", 1024, "file size for the stream time-to-first-byte figure, in MiB (0 for none)")
	streamCap := flag.Int64("stream-cap", 20, "the stream figure's seed upload cap, in MiB/s")
	v2 := flag.Bool("v2", false, "measure creation as v1, v2 and hybrid, and a v2-only download next to v1 (BEP 52)")
	reuse := flag.Bool("reuse", true, "measure get --reuse with the whole payload already in the named folder, no peer")
	rounds := flag.Int("rounds", 1, "cold and warm downloads per seed count; above 1, a summary gives the slowest and the median of each")
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
	b := &bench{shoal: *shoal, dir: dir, settle: *settle}
	shoalBin = *shoal
	b.commit = commitOf(*shoal)
	fmt.Printf("shoal commit %s; cold runs follow %s of idle, warm runs follow the previous run at once\n", b.commit, *settle)
	payload := filepath.Join(dir, "payload")
	check(genPayload(payload, *sizeMiB<<20))
	// The payload's pages are dirty; the kernel would write them back about
	// 30 s later, in the middle of whichever download runs then.
	syscall.Sync()
	fmt.Printf("payload: %d MiB in 4 files under %s\n\n", *sizeMiB, dir)

	torrent := filepath.Join(dir, "payload.torrent")
	idle := b.idle()
	ru, wall := b.runToEnd("create", "create", payload, "-o", torrent, "--force")
	fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall, %.2f CPU s, peak RSS %d MiB)  %s\n", "create:",
		float64(*sizeMiB)/wall.Seconds(), wall.Seconds(), cpu(ru), ru.Maxrss>>10, b.tag(idle))
	v2Torrent := ""
	if *v2 {
		v2Torrent = b.createFormats(payload, *sizeMiB)
	}

	for _, n := range strings.Split(*seedCounts, ",") {
		var count int
		if _, err := fmt.Sscan(n, &count); err == nil {
			var runs []string
			for range max(*rounds, 1) {
				runs = append(runs, "cold", "warm")
			}
			b.transfer(torrent, payload, "", count, *sizeMiB, runs...)
		}
	}
	if v2Torrent != "" {
		b.v2Transfer(v2Torrent, payload, *sizeMiB)
	}
	if *reuse {
		b.reuse(torrent, payload, *sizeMiB)
	}
	if *webSeed {
		b.webSeed(payload, *sizeMiB)
	}
	if *dhtRuns > 0 {
		b.dhtMagnet(torrent, payload, *dhtRuns)
	}
	if *streamMiB > 0 {
		b.streamTTFB(*streamMiB, *streamCap, 3)
	}
}

type bench struct {
	shoal  string
	dir    string
	commit string
	settle time.Duration
}

// idle sleeps the settle time and returns it, for the figure's tag.
func (b *bench) idle() time.Duration {
	if b.settle > 0 {
		fmt.Fprintf(os.Stderr, "benchrun: idle for %s before a cold run\n", b.settle)
		time.Sleep(b.settle)
	}
	return b.settle
}

// tag is what every figure line ends with, so that runs can be compared.
func (b *bench) tag(settled time.Duration) string {
	return fmt.Sprintf("[commit %s, settle %s]", b.commit, settled)
}

// commitOf asks the binary which commit it was built from, and says so when
// the work tree it was built in had uncommitted changes.
func commitOf(shoal string) string {
	out, err := exec.Command(shoal, "version", "--json").Output()
	var v struct{ Commit string }
	if err != nil || json.Unmarshal(out, &v) != nil || v.Commit == "" {
		return "unknown"
	}
	c := v.Commit[:min(12, len(v.Commit))]
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "+uncommitted"
	}
	return c
}

// transfer runs count seeds and one leecher, once per run ("cold" after
// the settle time, "warm" at once), and prints the leecher's figures, the
// seeds' CPU and each seed's share. kind names the torrent's format in
// the figures and the work folders ("" for the default, v1).
func (b *bench) transfer(torrent, payload, kind string, count int, sizeMiB int64, runs ...string) {
	var peers []string
	var seeds []*exec.Cmd
	for i := range count {
		data := filepath.Join(b.dir, fmt.Sprintf("%sseed%d-%d", kind, count, i))
		check(linkTree(payload, filepath.Join(data, "payload")))
		cmd := exec.Command(b.shoal, "seed", torrent, "--data", data, "--listen", "127.0.0.1:0",
			"--no-tui", "--no-dht", "--progress-every", "500ms", "--state-dir", filepath.Join(b.dir, fmt.Sprintf("%sseed%d-%d-state", kind, count, i)))
		// Wait for the seed to finish checking its data, so the leecher's
		// time is transfer time.
		addr := startSeed(cmd)
		peers = append(peers, addr)
		seeds = append(seeds, cmd)
	}
	defer func() {
		for _, s := range seeds {
			s.Process.Signal(os.Interrupt)
			s.Wait()
		}
	}()
	got := map[string][]figure{}
	for _, run := range runs {
		settled := time.Duration(0)
		if run == "cold" {
			settled = b.idle()
		}
		got[run] = append(got[run], b.leech(torrent, kind, run, peers, seeds, sizeMiB, settled))
	}
	for _, run := range []string{"cold", "warm"} {
		if fs := got[run]; len(fs) > 1 {
			fmt.Printf("    %d %s runs: %s\n", len(fs), run, summarize(fs))
		}
	}
}

// leech downloads once from the running seeds, prints the figures and
// returns the download's.
func (b *bench) leech(torrent, kind, run string, peers []string, seeds []*exec.Cmd, sizeMiB int64, settled time.Duration) figure {
	name := fmt.Sprintf("%sleech%d-%s", kind, len(seeds), run)
	out := filepath.Join(b.dir, name)
	args := []string{"get", torrent, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--json",
		"--state-dir", out + "-state"}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	cmd := exec.Command(b.shoal, args...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	var seedCPU0 []float64
	for _, s := range seeds {
		seedCPU0 = append(seedCPU0, procCPU(s.Process.Pid))
	}
	start := time.Now()
	check(cmd.Run())
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var seedCPU float64
	for i, s := range seeds {
		seedCPU += procCPU(s.Process.Pid) - seedCPU0[i]
	}
	os.RemoveAll(out)
	os.RemoveAll(out + "-state")
	gib := float64(sizeMiB) / 1024
	fig := figure{mibs: float64(sizeMiB) / wall.Seconds(), cpu: cpu(ru) / gib}
	fmt.Printf("%-22s %8.1f MiB/s  (%s; %.2fs wall incl. start and verify, leecher %.2f CPU s/GiB, peak RSS %d MiB; seeds %.2f CPU s/GiB)  %s\n",
		strings.TrimLeft(kind+" ", " ")+fmt.Sprintf("%d seed(s) -> 1 leecher:", len(seeds)), fig.mibs, run, wall.Seconds(),
		fig.cpu, ru.Maxrss>>10, seedCPU/gib, b.tag(settled))
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
	if len(seeds) < 2 {
		return fig
	}
	for _, p := range sum.Peers {
		if sum.Downloaded > 0 {
			fmt.Printf("    seed %-21s sent %5.1f%%\n", p.Addr, 100*float64(p.Downloaded)/float64(sum.Downloaded))
		}
	}
	return fig
}

// procCPU is a running process's user+system CPU seconds so far, from
// /proc (0 when it cannot be read).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields after it are fixed.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	var utime, stime float64
	if len(f) > 12 {
		fmt.Sscan(f[11], &utime)
		fmt.Sscan(f[12], &stime)
	}
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
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

// startSeed starts cmd, a shoal seed, and returns its listen address
// once it is seeding (exiting when it does not start).
func startSeed(cmd *exec.Cmd) string {
	addr, err := seedproc.Start(cmd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", "benchrun", err)
		os.Exit(1)
	}
	return addr
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
