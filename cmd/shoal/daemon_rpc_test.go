package main

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestDaemon_RPCListener(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "--rpc", "127.0.0.1:0")
	url := d.waitFor(t, `HTTP control on (http://\S+/) `, time.Second)[1]
	resp, err := http.Get(url + "v1/torrents")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("GET /v1/torrents over --rpc: %s %q", resp.Status, b)
	}
	// Transmission's RPC is mounted: the first call gets its session id.
	resp, err = http.Post(url+"transmission/rpc", "application/json", strings.NewReader(`{"method":"session-get"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("X-Transmission-Session-Id") == "" {
		t.Errorf("POST /transmission/rpc: %s, session id %q; want 409 with one", resp.Status, resp.Header.Get("X-Transmission-Session-Id"))
	}
}

func TestDaemon_RPCRefusesOpenNonLoopback(t *testing.T) {
	code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir(),
		"--socket", filepath.Join(shortTemp(t), "d.sock"), "--rpc", "0.0.0.0:0")
	if code != exitUsage || !strings.Contains(errs, "needs credentials") || !strings.Contains(errs, "rpc_token") {
		t.Errorf("--rpc 0.0.0.0:0 without credentials: exit %d, %q; want %d saying what to configure", code, errs, exitUsage)
	}
}

func TestDaemon_HashPassword(t *testing.T) {
	bin := shoalBinary(t)
	cmd := exec.Command(bin, "daemon", "--hash-password")
	cmd.Stdin = strings.NewReader("open sesame\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("daemon --hash-password: %v", err)
	}
	hash := strings.TrimSpace(string(out))
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("open sesame")) != nil {
		t.Errorf("printed %q, which is no bcrypt hash of the password", hash)
	}
	cmd = exec.Command(bin, "daemon", "--hash-password")
	cmd.Stdin = strings.NewReader("")
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != exitUsage {
		t.Errorf("an empty password: %v; want exit %d", err, exitUsage)
	}
}
