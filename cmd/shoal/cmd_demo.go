package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
	"github.com/shoal-bt/shoal/tracker"
)

func init() { register(newDemoCmd) }

type demoFlags struct {
	size   string
	seeds  int
	rate   string
	dir    string
	noTUI  bool
	every  time.Duration
	pieceL string
}

func newDemoCmd(a *app) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole swarm on this machine: tracker, DHT node, seeds and a leecher",
		Long: `Demo starts, on 127.0.0.1 only, a LAN tracker, a DHT bootstrap node and
several seeds of a generated sample folder, then downloads it by magnet link
in the terminal UI, rate-limited so you can watch pieces arrive from every
seed. Nothing leaves this machine. Everything is removed on exit unless --dir
is given.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(a, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.size, "size", "256MiB", "size of the sample folder")
	fs.IntVar(&f.seeds, "seeds", 3, "number of seeds")
	fs.StringVar(&f.rate, "rate", "16MiB", "the leecher's download limit per second (0 for none)")
	fs.StringVar(&f.dir, "dir", "", "keep the demo's files here (default: a temporary folder, removed after)")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print progress lines instead of opening the terminal UI")
	fs.DurationVar(&f.every, "progress-every", 2*time.Second, "how often to print a progress line without the UI")
	fs.StringVar(&f.pieceL, "piece-length", "", "piece length of the sample torrent (default: chosen from the size)")
	return cmd
}

func runDemo(a *app, f *demoFlags) error {
	size, err := parseSize("--size", f.size)
	if err != nil {
		return err
	}
	if size < 1<<20 {
		return usageErrorf("--size %s: want at least 1MiB", f.size)
	}
	rate, err := parseSize("--rate", f.rate)
	if err != nil {
		return err
	}
	if f.seeds < 1 || f.seeds > 20 {
		return usageErrorf("--seeds %d: want 1 to 20", f.seeds)
	}
	copts := pieces.CreateOptions{CreatedBy: "shoal demo"}
	if f.pieceL != "" {
		if copts.PieceLength, err = parseSize("--piece-length", f.pieceL); err != nil {
			return err
		}
	}
	root := f.dir
	if root == "" {
		if root, err = os.MkdirTemp("", "shoal-demo-*"); err != nil {
			return err
		}
		defer os.RemoveAll(root)
	}

	for _, d := range []string{"leecher-state", "seed-data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	ctx, stop := context.WithCancel(a.ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	log := a.log.With("component", "demo")

	trk, err := tracker.New(tracker.Config{HTTPAddr: "127.0.0.1:0", UDPAddr: "127.0.0.1:0",
		Interval: 10 * time.Second, MinInterval: 2 * time.Second, Logger: log})
	if err != nil {
		return fmt.Errorf("start tracker: %w", err)
	}
	g.Go(func() error { return trk.Run(gctx) })
	announce := fmt.Sprintf("http://%s/announce", trk.HTTPAddr())

	boot, err := dht.New(dht.Config{ListenAddr: "127.0.0.1:0", Logger: log})
	if err != nil {
		return fmt.Errorf("start DHT node: %w", err)
	}
	g.Go(func() error { return boot.Run(gctx) })
	// Each node goes to its engine through sessionDHT, as in get and seed,
	// so that the engine's snapshots (the UI's header) count its nodes.
	newNode := func() (*sessionDHT, error) {
		n, err := dht.New(dht.Config{ListenAddr: "127.0.0.1:0", Bootstrap: []string{boot.Addr().String()}, Logger: log})
		if err != nil {
			return nil, err
		}
		g.Go(func() error { return n.Run(gctx) })
		d := &sessionDHT{}
		d.node.Store(n)
		return d, nil
	}

	data := filepath.Join(root, "seed-data")
	fmt.Fprintf(a.stderr, "Generating a %s sample folder in %s\n", f.size, data)
	if err := writeSample(filepath.Join(data, "shoal-sample"), size); err != nil {
		return err
	}
	copts.Trackers = []string{announce}
	copts.Progress = newHashProgress(a, "Hashing")
	t, err := pieces.Create(ctx, filepath.Join(data, "shoal-sample"), copts)
	if err != nil {
		return err
	}

	for i := range f.seeds {
		node, err := newNode()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(root, fmt.Sprintf("seed%d-state", i)), 0o755); err != nil {
			return err
		}
		s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", DHT: node, Logger: log.With("seed", i),
			StateDir: filepath.Join(root, fmt.Sprintf("seed%d-state", i))})
		if err != nil {
			return err
		}
		g.Go(func() error { return s.Run(gctx) })
		if _, err := s.Add(ctx, swarm.AddOptions{Torrent: t, Dir: data, Trusted: true}); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "Seed %d listening on %s\n", i+1, s.Addr())
	}

	node, err := newNode()
	if err != nil {
		return err
	}
	leech, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", DHT: node, DownLimitBps: rate,
		StateDir: filepath.Join(root, "leecher-state"), Logger: log.With("leecher", true)})
	if err != nil {
		return err
	}
	g.Go(func() error { return leech.Run(gctx) })
	magnet := t.Magnet()
	m, err := pieces.ParseMagnet(magnet)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "Tracker: %s\nDHT bootstrap node: %s\nLeecher fetching %s\n", announce, boot.Addr(), magnet)
	out := filepath.Join(root, "download")
	ih, err := leech.Add(ctx, swarm.AddOptions{Magnet: m, Dir: out})
	if err != nil {
		return err
	}

	sf := &sessionFlags{noTUI: f.noTUI, progressEvery: f.every}
	lib := &library{dir: filepath.Join(root, "leecher-state")}
	var watchErr error
	if !f.noTUI && isTerminal(a.stdout) {
		watchErr = runUI(ctx, a, leech, lib, ih, out, false)
	} else {
		watchErr = follow(ctx, a, sf, leech, lib, ih, out, true)
	}
	stop()
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		return err
	}
	return watchErr
}

// writeSample fills dir with a folder that looks like something people
// share: a few large files, many small ones, nesting and an empty file.
func writeSample(dir string, size int64) error {
	rng := rand.NewChaCha8([32]byte{'d', 'e', 'm', 'o'})
	files := []struct {
		name  string
		share int64 // of size, in 1/64ths
	}{
		{"video/lecture-01.mkv", 24}, {"video/lecture-02.mkv", 16}, {"dataset/train.bin", 12},
		{"dataset/test.bin", 6}, {"photos/IMG_0001.raw", 2}, {"photos/IMG_0002.raw", 2},
		{"photos/IMG_0003.raw", 1}, {"photos/IMG_0004.raw", 1},
	}
	var used int64
	for i, fi := range files {
		n := size * fi.share / 64
		if i == len(files)-1 {
			n = size - used
		}
		used += n
		if err := writeRandom(filepath.Join(dir, fi.name), n, rng); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"),
		[]byte("A sample folder made by 'shoal demo'. Its bytes are random.\n"), 0o644); err != nil {
		return err
	}
	return writeRandom(filepath.Join(dir, "notes", "empty.txt"), 0, rng)
}

func writeRandom(path string, n int64, rng *rand.ChaCha8) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rng, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
