package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/tracker"
)

// TestTracker_RunAndStop starts `shoal tracker` on loopback, announces to
// the URL it printed, stops it and checks it shut down cleanly, in time,
// with its counters written.
func TestTracker_RunAndStop(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.txt")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", state, "--log-level", "error"}, pw, &stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var announce string
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := regexp.MustCompile(`^Tracker announce URL: (http://127\.0\.0\.1:\d+/announce)$`).FindStringSubmatch(sc.Text()); m != nil {
			announce = m[1]
		}
		if strings.HasPrefix(sc.Text(), "Tracker listening") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if announce == "" {
		t.Fatalf("no HTTP announce URL in:\n%s", strings.Join(lines, "\n"))
	}
	if !regexp.MustCompile(`udp://127\.0\.0\.1:\d+/announce`).MatchString(strings.Join(lines, "\n")) {
		t.Errorf("no UDP announce URL in:\n%s", strings.Join(lines, "\n"))
	}
	ih := sha1.Sum([]byte("cmd"))
	q := tracker.AnnounceRequest{InfoHash: ih, PeerID: [20]byte([]byte("-SH0001-000000000001")), Port: 6881,
		Event: tracker.EventCompleted, NumWant: -1, Compact: true}.Query()
	resp, err := http.Get(announce + "?" + q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "d8:completei1e") {
		t.Fatalf("announce answer %q", body)
	}

	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code %d, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tracker did not stop within 5s")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v, want under 2s", d)
	}
	b, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(b), tracker.InfoHash(ih).String()+" 1\n") {
		t.Errorf("state file %q, %v: want the completed count", b, err)
	}
}

func TestTracker_BadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("not/a/hash-nor-key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--allow", filepath.Join(dir, "missing")}, exitNotFound, "no such file"},
		{[]string{"--allow", bad}, exitUsage, "line 1"},
		{[]string{"--passkeys", bad}, exitUsage, "line 1"},
		{[]string{"--min-interval", "5m", "--interval", "1m"}, exitUsage, "min interval"},
		{[]string{"--rate", "-1"}, exitUsage, "--rate"},
		{[]string{"extra"}, exitUsage, "no arguments"},
		{[]string{"--http", "off", "--udp", "off"}, exitUsage, "both HTTP and UDP are off"},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", ""}, tt.args...)
		code := run(t.Context(), args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("shoal %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tt.args, " "), code, stderr.String(), tt.code, tt.msg)
		}
	}
}
