// Package nginx runs Debian's nginx (the nginx-light package) as one
// unprivileged process serving a folder read-only on a loopback port: a
// real web server for the web seed tests (internal/testnet) and benchmark
// (bench/benchrun).
package nginx

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// conf keeps every path nginx writes (pid, logs, temp files) inside dir:
// no root, no /var/log, one process that its caller owns.
const conf = `daemon off;
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

// ErrNotInstalled is Binary's error when there is no nginx.
var ErrNotInstalled = errors.New("nginx not installed (Debian: apt-get install nginx-light)")

// Binary finds nginx on PATH or where Debian puts it (/usr/sbin, often
// not on a user's PATH).
func Binary() (string, error) {
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		return "", ErrNotInstalled
	}
	return "/usr/sbin/nginx", nil
}

// Server is a running nginx.
type Server struct {
	URL    string // http://127.0.0.1:PORT/, serving root
	cmd    *exec.Cmd
	exited chan error
}

// Start serves root with nginx, its files in dir, and returns once it
// answers. A port taken between choosing and binding it costs a retry.
func Start(root, dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	var lastErr string
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(path, fmt.Appendf(nil, conf, dir, port, root), 0o644); err != nil {
			return nil, err
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", path)
		cmd.Stderr = &stderr
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start nginx: %w", err)
		}
		s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), cmd: cmd, exited: make(chan error, 1)}
		go func() { s.exited <- cmd.Wait() }()
		if waitHTTP(s.URL, s.exited) {
			return s, nil
		}
		cmd.Process.Kill()
		<-s.exited
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		lastErr = stderr.String() + string(log)
	}
	return nil, fmt.Errorf("nginx did not start: %s", lastErr)
}

// Stop asks nginx to quit, and kills it after 10 s.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
