package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// webSeedConf serves the work directory with nginx on a loopback port,
// everything nginx writes inside dir, in one process (no root).
const webSeedConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	default_type application/octet-stream;
	sendfile on;
	server {
		listen 127.0.0.1:%[2]d;
		root %[3]s;
	}
}
`

// webSeed measures BEP 19: a download from nginx alone, then from nginx
// next to one peer seed, with each source's share.
func (b *bench) webSeed(payload string, sizeMiB int64) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			fmt.Println("web seed: skipped, nginx is not installed (Debian: nginx-light)")
			return
		}
		bin = "/usr/sbin/nginx"
	}
	dir := filepath.Join(b.dir, "nginx")
	check(os.MkdirAll(dir, 0o755))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "nginx.conf")
	check(os.WriteFile(conf, fmt.Appendf(nil, webSeedConf, dir, port, filepath.Dir(payload)), 0o644))
	nginx := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", conf)
	nginx.Stderr = os.Stderr
	dieWithParent(nginx) // also when a failed step calls os.Exit, skipping the deferred stop
	check(nginx.Start())
	defer func() {
		nginx.Process.Signal(os.Interrupt)
		nginx.Wait()
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := client.Get(base); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("web seed: skipped, nginx did not start")
			return
		}
	}
	torrent := filepath.Join(b.dir, "payload-ws.torrent")
	b.runToEnd("create", "create", payload, "-o", torrent, "--force", "--web-seed", base)

	b.webLeech(torrent, "nginx -> 1 leecher:", nil, sizeMiB)

	data := filepath.Join(b.dir, "ws-seed")
	check(linkTree(payload, filepath.Join(data, "payload")))
	seed := exec.Command(b.shoal, "seed", torrent, "--data", data, "--listen", "127.0.0.1:0",
		"--no-tui", "--no-dht", "--progress-every", "500ms", "--state-dir", data+"-state")
	addr := startAndFind(seed, regexp.MustCompile(`Listening on (\S+);`), regexp.MustCompile(` seeding `))
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
