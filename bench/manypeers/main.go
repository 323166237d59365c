//go:build linux

// Command manypeers measures shoal with 1,000 peers on one torrent: a seed
// with 1,000 connected leechers (most idle, some downloading, one fast)
// and a leecher connected to 1,000 seeds (one fast, the rest slow). It
// prints RSS, CPU and what the fast peer got; it asserts nothing. The
// other peers are fake ones in this process that speak just enough of the
// wire protocol; shoal runs as separate processes, as users run it.
// MANYPEERS_LOG=debug (or info) passes that log level to shoal and shows
// the leecher's progress lines; MANYPEERS_LEECH_PROFILE=file writes the
// leecher's CPU profile there.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/shoal-bt/shoal/internal/seedproc"
)

func main() {
	shoal := flag.String("shoal", "bin/shoal", "the shoal binary")
	mib := flag.Int64("size", 128, "payload in MiB")
	peers := flag.Int("peers", 1000, "peers on the torrent")
	active := flag.Int("active", 50, "downloading leechers among the seed's peers (one of them fast)")
	commit := flag.String("commit", "unknown", "the commit measured, for the figures' tags")
	parts := flag.String("parts", "seed,leech", "which halves to run")
	flag.Parse()
	dir, err := os.MkdirTemp("", "shoal-manypeers-*")
	check(err)
	defer os.RemoveAll(dir)
	b := &bench{shoal: *shoal, dir: dir, peers: *peers, tag: fmt.Sprintf("[commit %s, settle 0s]", *commit)}
	check(b.makeTorrent(*mib << 20))
	fmt.Printf("payload %d MiB, %d KiB pieces; fake peers in this process, shoal in its own\n", *mib, b.s.pieceLen>>10)
	if strings.Contains(*parts, "seed") {
		b.seedWithLeechers(*active)
	}
	if strings.Contains(*parts, "leech") {
		b.leechFromSeeds()
	}
}

type bench struct {
	shoal   string
	dir     string
	peers   int
	tag     string
	torrent string
	data    string
	s       shape
}

func (b *bench) makeTorrent(size int64) error {
	b.data = filepath.Join(b.dir, "data")
	payload := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{'m', 'a', 'n', 'y'})
	rng.Read(payload)
	if err := os.MkdirAll(filepath.Join(b.data, "payload"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.data, "payload", "a.bin"), payload, 0o644); err != nil {
		return err
	}
	b.torrent = filepath.Join(b.dir, "p.torrent")
	out, err := exec.Command(b.shoal, "create", filepath.Join(b.data, "payload"), "-o", b.torrent, "--force").CombinedOutput()
	if err != nil {
		return fmt.Errorf("shoal create: %w: %s", err, out)
	}
	mi, err := metainfo.LoadFromFile(b.torrent)
	if err != nil {
		return err
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return err
	}
	b.s = shape{ih: mi.HashInfoBytes(), pieceLen: int(info.PieceLength), length: info.TotalLength(), payload: payload}
	return nil
}

// seedWithLeechers: one shoal seed, b.peers fake leechers connected to it;
// first all idle (bookkeeping), then active-1 of them downloading at
// 256 KB/s, and 12 s later one that reads as fast as it can.
func (b *bench) seedWithLeechers(active int) {
	cmd := exec.Command(b.shoal, "seed", b.torrent, "--data", b.data, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--max-peers", fmt.Sprint(b.peers+100), "--progress-every", "1s", "--log-level", cmp.Or(os.Getenv("MANYPEERS_LOG"), "warn"), "--state-dir", filepath.Join(b.dir, "seed-state"))
	addr := startSeed(cmd)
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	pid := cmd.Process.Pid
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ls := make([]*fakeLeecher, b.peers)
	for i := range ls {
		ls[i] = &fakeLeecher{}
	}
	begin := time.Now()
	for i := active; i < b.peers; i++ {
		go ls[i].leech(ctx, addr, b.s, i, false, 0, 0)
	}
	waitConnected(ls[active:], time.Minute)
	fmt.Printf("\nseed with %d leechers: %d idle connected in %.1fs\n", b.peers, countConnected(ls), time.Since(begin).Seconds())
	time.Sleep(2 * time.Second)
	cpu0, t0 := procCPU(pid), time.Now()
	time.Sleep(10 * time.Second)
	idleCPU := (procCPU(pid) - cpu0) / time.Since(t0).Seconds()
	fmt.Printf("    idle: %.1f%% of a core for bookkeeping, RSS %d MiB (goal < 10%%, < 200 MiB)  %s\n",
		100*idleCPU, procMiB(pid, "VmRSS"), b.tag)
	// The slow ones first, long enough for a rechoke (10 s) to hand them
	// every slot; then the fast one joins: how long until it is served?
	for i := 1; i < active; i++ {
		go ls[i].leech(ctx, addr, b.s, i, true, 32, 256e3)
	}
	time.Sleep(12 * time.Second)
	const run = 30 * time.Second
	before := make([]int64, active)
	for i, l := range ls[:active] {
		before[i] = l.got.Load()
	}
	cpu0, t0 = procCPU(pid), time.Now()
	go ls[0].leech(ctx, addr, b.s, 0, true, 256, 0)
	time.Sleep(run)
	busyCPU := (procCPU(pid) - cpu0) / time.Since(t0).Seconds()
	var slow []float64
	var total int64
	for i, l := range ls[:active] {
		got := l.got.Load() - before[i]
		total += got
		if i > 0 {
			slow = append(slow, float64(got)/run.Seconds())
		}
	}
	fastGot := ls[0].got.Load()
	wait := fmt.Sprintf("none within %v", run)
	if fb := ls[0].firstByte.Load(); fb != 0 {
		wait = fmt.Sprintf("%.1fs", time.Unix(0, fb).Sub(t0).Seconds())
	}
	fmt.Printf("    %d downloading (%d at 256 KB/s for 12 s first, then one fast) for %v: seed sent %.1f MiB/s, %.0f%% of a core, peak RSS %d MiB  %s\n",
		active, active-1, run, float64(total)/(1<<20)/run.Seconds(), 100*busyCPU, procMiB(pid, "VmHWM"), b.tag)
	fmt.Printf("    the fast leecher's first byte after %s; it got %.1f MiB/s (%.0f%% of what was sent); the %d at 256 KB/s: median %.0f KB/s, %d got nothing\n",
		wait, float64(fastGot)/(1<<20)/run.Seconds(), 100*float64(fastGot)/float64(max(total, 1)), len(slow), median(slow)/1e3, zeros(slow))
	fmt.Printf("    still connected at the end: %d of %d\n", countConnected(ls), b.peers)
}

// leechFromSeeds: one shoal leecher given b.peers fake seeds: one serves
// at once, the others a block every 2 s. Does the fast one carry the
// download, or do the slow ones hold its pieces hostage?
func (b *bench) leechFromSeeds() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seeds := make([]*fakeSeed, b.peers)
	args := []string{"get", b.torrent, "-o", filepath.Join(b.dir, "leech"), "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--progress-every", "5s", "--log-level", cmp.Or(os.Getenv("MANYPEERS_LOG"), "warn"), "--max-peers", fmt.Sprint(b.peers + 100), "--state-dir", filepath.Join(b.dir, "leech-state")}
	for i := range seeds {
		seeds[i] = &fakeSeed{id: i, s: b.s}
		if i > 0 {
			seeds[i].slowEvery = 2 * time.Second
		}
		ln, err := listen()
		check(err)
		go seeds[i].serve(ctx, ln)
		args = append(args, "--peer", ln.Addr().String())
	}
	if prof := os.Getenv("MANYPEERS_LEECH_PROFILE"); prof != "" {
		args = append(args, "--cpu-profile", prof)
	}
	cmd := exec.Command(b.shoal, args...)
	cmd.Stdout = io.Discard
	if os.Getenv("MANYPEERS_LOG") != "" {
		cmd.Stdout = os.Stdout
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	check(cmd.Start())
	// RSS while it runs: the kernel's peak covers it.
	err := cmd.Wait()
	wall := time.Since(start)
	check(err)
	ru := rusage(cmd)
	var all int64
	for _, s := range seeds {
		all += s.served.Load()
	}
	fast := seeds[0].served.Load()
	fmt.Printf("\nleecher with %d seeds (1 fast, %d at a block per 2 s): done in %.2fs, %.2f CPU s, peak RSS %d MiB  %s\n",
		b.peers, b.peers-1, wall.Seconds(), ru.cpu, ru.maxRSSMiB, b.tag)
	fmt.Printf("    the fast seed sent %.1f%% of the %.1f MiB served (%.1f MiB/s over the whole download); the slow ones %.1f MiB\n",
		100*float64(fast)/float64(max(all, 1)), float64(all)/(1<<20), float64(fast)/(1<<20)/wall.Seconds(), float64(all-fast)/(1<<20))
}

func waitConnected(ls []*fakeLeecher, limit time.Duration) {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if countConnected(ls) == len(ls) {
			return
		}
	}
}

func countConnected(ls []*fakeLeecher) int {
	n := 0
	for _, l := range ls {
		if l.connected.Load() {
			n++
		}
	}
	return n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := range s { // small: insertion sort
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

func zeros(v []float64) int {
	n := 0
	for _, x := range v {
		if x == 0 {
			n++
		}
	}
	return n
}

// startSeed starts cmd, a shoal seed, and returns its listen address
// once it is seeding (exiting when it does not start).
func startSeed(cmd *exec.Cmd) string {
	addr, err := seedproc.Start(cmd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", "manypeers", err)
		os.Exit(1)
	}
	return addr
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "manypeers:", err)
		os.Exit(1)
	}
}
