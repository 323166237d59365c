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

	"github.com/shoal-bt/shoal/internal/nginx"
)

// webSeed measures BEP 19: a download from nginx alone, then from nginx
// next to one peer seed, with each source's share.
func (b *bench) webSeed(payload string, sizeMiB int64) {
	dir := filepath.Join(b.dir, "nginx")
	check(os.MkdirAll(dir, 0o755))
	// nginx dies with us (parent-death signal), also when a failed step
	// calls os.Exit and skips the deferred stop.
	srv, err := nginx.Start(filepath.Dir(payload), dir)
	if err != nil {
		fmt.Printf("web seed: skipped: %v\n", err)
		return
	}
	defer srv.Stop()
	base := srv.URL
	torrent := filepath.Join(b.dir, "payload-ws.torrent")
	b.runToEnd("create", "create", payload, "-o", torrent, "--force", "--web-seed", base)

	b.webLeech(torrent, "nginx -> 1 leecher:", nil, sizeMiB)

	data := filepath.Join(b.dir, "ws-seed")
	check(linkTree(payload, filepath.Join(data, "payload")))
	seed := exec.Command(b.shoal, "seed", torrent, "--data", data, "--listen", "127.0.0.1:0",
		"--no-tui", "--no-dht", "--progress-every", "500ms", "--state-dir", data+"-state")
	addr := startSeed(seed)
	defer func() {
		seed.Process.Signal(os.Interrupt)
		seed.Wait()
	}()
	b.webLeech(torrent, "nginx + 1 seed -> 1:", []string{addr}, sizeMiB)
}

func (b *bench) webLeech(torrent, label string, peers []string, sizeMiB int64) {
	out := filepath.Join(b.dir, "ws-leech")
	args := []string{"get", torrent, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--json",
		"--state-dir", out + "-state"}
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
	os.RemoveAll(out)
	os.RemoveAll(out + "-state")
	var sum struct {
		Downloaded int64
		Peers      []struct{ Downloaded int64 }
		WebSeeds   []struct {
			Downloaded   int64
			State, Error string
		}
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(line, `"type":"summary"`) {
			check(json.Unmarshal([]byte(line), &sum))
		}
	}
	var web, peer int64
	for _, w := range sum.WebSeeds {
		web += w.Downloaded
		if w.State != "active" {
			fmt.Printf("    web seed %s: %s\n", w.State, w.Error)
		}
	}
	for _, p := range sum.Peers {
		peer += p.Downloaded
	}
	share := func(n int64) float64 { return 100 * float64(n) / float64(max(web+peer, 1)) }
	fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall incl. start and verify, leecher %.2f CPU s/GiB; from nginx %.1f%%, from the peer %.1f%%)  %s\n",
		label, float64(sizeMiB)/wall.Seconds(), wall.Seconds(), cpu(ru)/(float64(sizeMiB)/1024), share(web), share(peer), b.tag(0))
}
