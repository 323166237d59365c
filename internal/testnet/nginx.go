package testnet

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nginxConf serves root read-only on a loopback port, with every path
// nginx writes (pid, logs, temp files) inside dir: no root, no
// /var/log, one process that the test owns.
const nginxConf = `daemon off;
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
		location / { autoindex off; }
	}
}
`

// StartNginx serves the folder root over HTTP with Debian's nginx (the
// nginx-light package) on a loopback port and returns its base URL,
// ending in '/'. The test is skipped when nginx is not installed; cleanup
// stops it.
func StartNginx(t testing.TB, root string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			t.Skip("nginx not installed (Debian: apt-get install nginx-light); .ci/run installs it")
		}
		bin = "/usr/sbin/nginx"
	}
	root, err = filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lastErr string
	for range 5 {
		port := freePort(t)
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port, root), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", conf)
		cmd.Stderr = &stderr
		dieWithParent(cmd) // also when a timeout kills the test binary before cleanup
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		base := fmt.Sprintf("http://127.0.0.1:%d/", port)
		if waitHTTP(base, exited) {
			t.Cleanup(func() {
				cmd.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
			})
			return base
		}
		cmd.Process.Kill()
		<-exited
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		lastErr = stderr.String() + string(log)
	}
	t.Fatalf("nginx did not start: %s", lastErr)
	return ""
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHTTP waits until base answers, or the server exits.
func waitHTTP(base string, exited chan error) bool {
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // no idle goroutines for goleak
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return false
		default:
		}
		if resp, err := client.Get(base); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
