package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/headless"
)

// trRemote runs Debian's transmission-remote against rpc (host:port) and
// returns what it printed; a non-zero exit fails the test.
func trRemote(t *testing.T, rpc string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "transmission-remote", append([]string{rpc}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TR_AUTH=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("transmission-remote %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("transmission-remote %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// trRemoteUntil runs transmission-remote until its output matches re.
func trRemoteUntil(t *testing.T, rpc string, re string, timeout time.Duration, args ...string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		out := trRemote(t, rpc, args...)
		if rx.MatchString(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("transmission-remote %s never matched %q in %v; last:\n%s", strings.Join(args, " "), re, timeout, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTransmission_RemoteDrivesDaemon runs a real `shoal daemon --rpc`
// process and drives it with transmission-remote only: add a magnet link,
// list it, its peers while it downloads from a throttled seed, its details
// and files, verify, stop, start, remove. Transmission's web UI, served by the
// daemon, lists the torrent in headless Chromium. The bytes must match.
func TestTransmission_RemoteDrivesDaemon(t *testing.T) {
	if _, err := exec.LookPath("transmission-remote"); err != nil {
		t.Skip("transmission-remote not installed (Debian package transmission-cli; .ci/run installs it)")
	}
	bin := shoalBinary(t)
	data, _, magnet, _, _ := seedFolderRate(t, map[string]int{"a.bin": 600_000, "sub/b.bin": 70_000}, 16<<10, "150KiB")
	magnet = strings.ReplaceAll(magnet, `\u0026`, "&") // it was read from a JSON line

	base := shortTemp(t)
	dl := filepath.Join(base, "dl")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "config.toml")
	web := "/usr/share/transmission/web"
	if err := os.WriteFile(cfg, []byte("[daemon]\ntransmission_web = \""+web+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHOAL_CONFIG", cfg) // the child inherits it
	d := startChild(t, bin, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", filepath.Join(base, "state"),
		"--socket", filepath.Join(base, "d.sock"), "--download-dir", dl, "--rpc", "127.0.0.1:0")
	rx := regexp.MustCompile(`HTTP control on http://(\S+)/`)
	var rpc string
	for deadline := time.Now().Add(30 * time.Second); rpc == ""; time.Sleep(20 * time.Millisecond) {
		if m := rx.FindStringSubmatch(d.output()); m != nil {
			rpc = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the daemon printed no HTTP control address in 30s:\n%s", d.output())
		}
	}

	// The magnet link names the seed (x.pe): there is no tracker or DHT here.
	if out := trRemote(t, rpc, "-a", magnet); !strings.Contains(out, `responded: "success"`) {
		t.Fatalf("-a: %s", out)
	}
	// While it downloads: the throttled seed shows among its peers.
	trRemoteUntil(t, rpc, `127\.0\.0\.1\s+\S*D`, 30*time.Second, "-t", "1", "-pi")
	out := trRemote(t, rpc, "-l")
	if !regexp.MustCompile(`(?m)^\s+1\s+\d+%.*(Downloading|Up & Down|Idle|Seeding)\s+dataset$`).MatchString(out) {
		t.Errorf("-l lists no torrent 1 named dataset:\n%s", out)
	}

	trRemoteUntil(t, rpc, `(?m)^\s+1\s+100%.*dataset$`, 90*time.Second, "-l")
	sameTree(t, data, filepath.Join(dl, "dataset"))
	out = trRemote(t, rpc, "-t", "1", "-i")
	for _, want := range []string{"Name: dataset", "Percent Done: 100%", "Location: " + dl} {
		if !strings.Contains(out, want) {
			t.Errorf("-i lacks %q", want)
		}
	}
	out = trRemote(t, rpc, "-t", "1", "-if")
	for _, want := range []string{"dataset (2 files):", "dataset/a.bin", "dataset/sub/b.bin"} {
		if !strings.Contains(out, want) {
			t.Errorf("-if lacks %q", want)
		}
	}

	if _, err := os.Stat(web + "/index.html"); err == nil {
		if chromium := headless.Find(); chromium != "" {
			dom := headless.DOM(t, chromium, "http://"+rpc+"/transmission/web/")
			if !regexp.MustCompile(`class="torrent_name"[^>]*>dataset<`).MatchString(dom) {
				t.Errorf("Transmission's web UI, served by the daemon, does not list the torrent; page:\n%.4000s", dom)
			} else {
				t.Log("Transmission's web UI, served by the daemon, lists the torrent")
			}
		} else {
			t.Log("no chromium: the web UI part is skipped")
		}
	} else {
		t.Log("Transmission's web UI is not installed (transmission-common): that part is skipped")
	}

	// -v re-checks the data on disk: a byte changed behind its back is
	// found and fetched again.
	a := filepath.Join(dl, "dataset", "a.bin")
	f, err := os.OpenFile(a, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("garbage"), 300_000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out := trRemote(t, rpc, "-t", "1", "-v"); !strings.Contains(out, `responded: "success"`) {
		t.Fatalf("-v: %s", out)
	}
	trRemoteUntil(t, rpc, `(?m)^\s+1\s+100%.*dataset$`, 90*time.Second, "-l")
	sameTree(t, data, filepath.Join(dl, "dataset"))

	trRemote(t, rpc, "-t", "1", "-S")
	trRemoteUntil(t, rpc, `(?m)^\s+1\s+100%.*(Stopped|Finished)\s+dataset$`, 20*time.Second, "-l")
	trRemote(t, rpc, "-t", "1", "-s")
	trRemoteUntil(t, rpc, `(?m)^\s+1\s+100%.*(Seeding|Idle)\s+dataset$`, 20*time.Second, "-l")
	trRemote(t, rpc, "-t", "1", "-r")
	out = trRemoteUntil(t, rpc, `^\s*ID[^\n]*\n(Sum:[^\n]*\n)?$`, 20*time.Second, "-l")
	if strings.Contains(out, "dataset") {
		t.Errorf("-l after -r still lists it:\n%s", out)
	}
	sameTree(t, data, filepath.Join(dl, "dataset")) // -r keeps the data
}
