//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// seed is a running 'shoal seed' behind its proxy.
type seed struct {
	net   network
	proxy *proxy
	cmd   *exec.Cmd
}

// startSeeds starts one seed per network, each behind a proxy with that
// network's toxics, and waits until all of them serve. Their meters count
// from epoch.
func (b *bench) startSeeds(nets []network, epoch time.Time) ([]*seed, error) {
	var seeds []*seed
	for i, n := range nets {
		port, err := freePort()
		if err != nil {
			return seeds, err
		}
		p, err := newProxy(fmt.Sprintf("seed%d", i), fmt.Sprintf("127.0.0.1:%d", port), n, epoch)
		if err != nil {
			return seeds, err
		}
		b.tracker.addSeed(port, p)
		// The state dir is kept per seed and payload, so that later
		// scenarios start without hashing the payload again.
		state := filepath.Join(b.dir, fmt.Sprintf("seed%d-%d-state", i, b.size))
		cmd := exec.Command(b.shoal, "seed", b.torrent, "--data", b.data, "--listen", fmt.Sprintf("127.0.0.1:%d", port),
			"--no-tui", "--no-dht", "--progress-every", "200ms", "--state-dir", state)
		if b.super {
			cmd.Args = append(cmd.Args, "--super-seed")
		}
		s := &seed{net: n, proxy: p, cmd: cmd}
		seeds = append(seeds, s)
		if err := waitFor(cmd, " seeding ", 5*time.Minute); err != nil {
			return seeds, fmt.Errorf("seed %d: %w", i, err)
		}
	}
	return seeds, nil
}

func stopSeeds(seeds []*seed) {
	for _, s := range seeds {
		if s.cmd.Process != nil {
			s.cmd.Process.Signal(os.Interrupt)
			s.cmd.Wait()
		}
		s.proxy.Stop()
	}
}

// freePort finds a port nobody listens on; the seed is told to listen
// there so that its proxy exists before its first announce.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitFor starts cmd and returns once a line of its stdout contains want.
func waitFor(cmd *exec.Cmd, want string, limit time.Duration) error {
	r, w := io.Pipe()
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				close(found)
				break
			}
		}
		io.Copy(io.Discard, r) // keep the process from blocking on a full pipe
	}()
	select {
	case <-found:
		return nil
	case <-time.After(limit):
		cmd.Process.Kill()
		return fmt.Errorf("no %q line within %v", want, limit)
	}
}

// leechResult is one 'shoal get' run.
type leechResult struct {
	wall    time.Duration // from start to its exit (everything verified)
	started time.Time
	cpu     time.Duration // user and system CPU time it used
	err     error
	peers   map[string]int64 // bytes received, by peer address as the leecher saw it
}

// leech runs n leechers at once to completion (or limit) and returns their
// results in start order.
func (b *bench) leech(n int, limit time.Duration) []leechResult {
	res := make([]leechResult, n)
	var wg sync.WaitGroup
	for i := range n {
		out := filepath.Join(b.dir, fmt.Sprintf("leech%d", i))
		os.RemoveAll(out)
		os.RemoveAll(out + "-state")
		cmd := exec.Command(b.shoal, "get", b.torrent, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
			"--json", "--progress-every", "1s", "--state-dir", out+"-state")
		var stdout strings.Builder
		cmd.Stdout = &stdout
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			res[i].err = err
			continue
		}
		timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
		wg.Go(func() {
			defer os.RemoveAll(out)
			defer os.RemoveAll(out + "-state")
			err := cmd.Wait()
			timer.Stop()
			res[i] = leechResult{wall: time.Since(start), started: start, err: err, peers: summaryPeers(stdout.String())}
			if ps := cmd.ProcessState; ps != nil {
				res[i].cpu = ps.UserTime() + ps.SystemTime()
			}
			if err != nil {
				res[i].err = fmt.Errorf("leecher %d after %v: %w", i, res[i].wall.Round(time.Millisecond), err)
			}
		})
	}
	wg.Wait()
	return res
}

// summaryPeers reads the bytes per peer from get's --json summary line.
func summaryPeers(out string) map[string]int64 {
	var sum struct {
		Peers []struct {
			Addr       string
			Downloaded int64
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"type":"summary"`) {
			json.Unmarshal([]byte(line), &sum)
		}
	}
	m := make(map[string]int64)
	for _, p := range sum.Peers {
		m[p.Addr] += p.Downloaded
	}
	return m
}
