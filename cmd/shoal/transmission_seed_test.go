package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTransmission_DownloadsFromShoalSeed: Transmission 3.00 ignores
// loopback peers a tracker names, so on loopback it never dials the shoal
// seed; it gets data only if the seed learns of it from the tracker and
// dials it. A real transmission-daemon, with its own config dir, peer and
// RPC ports, downloads a torrent from `shoal seed` through shoal's tracker;
// the bytes must match.
func TestTransmission_DownloadsFromShoalSeed(t *testing.T) {
	transmissionDownloadsFromShoal(t)
}

// transmissionDownloadsFromShoal is TestTransmission_DownloadsFromShoalSeed
// for a torrent made by `shoal create createArgs...`.
func transmissionDownloadsFromShoal(t *testing.T, createArgs ...string) {
	daemon := needTool(t, "transmission-daemon")
	needTool(t, "transmission-remote")
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"big.bin": 2<<20 + 4321, "docs/readme.txt": 40_000})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, append([]string{"create", data, "-o", tor, "--tracker", announce}, createArgs...)...); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	seed := shoalStart(t, "seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", filepath.Join(dir, "state"), "--progress-every", "1s", "--log-level", "debug")
	seed.waitFor(t, ` seeding `, 30*time.Second)

	base := shortTemp(t)
	conf, dl := filepath.Join(base, "conf"), filepath.Join(base, "dl")
	for _, d := range []string{conf, dl} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rpc := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	peerPort := strconv.Itoa(freePort(t))
	_, rpcPort, _ := strings.Cut(rpc, ":")
	ctx, cancel := context.WithCancel(context.Background())
	tr := exec.CommandContext(ctx, daemon, "-f", "-g", conf, "-T", "-r", "127.0.0.1", "-p", rpcPort,
		"-a", "127.0.0.1", "-P", peerPort, "-i", "127.0.0.1", "-O", "-Y", "-M", "--no-utp",
		"-w", dl, "--no-incomplete-dir", "-C", "--log-debug")
	// Its own HOME and XDG dirs: nothing of another run or of the user's
	// Transmission is read or written.
	tr.Env = append(os.Environ(), "HOME="+base, "XDG_CONFIG_HOME="+conf, "XDG_DATA_HOME="+conf, "TR_AUTH=")
	var trLog syncBuffer
	tr.Stdout, tr.Stderr = &trLog, &trLog
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		tr.Wait()
		if t.Failed() {
			t.Logf("transmission-daemon said:\n%s", tail(trLog.String(), 200))
			t.Logf("shoal seed said:\n%s\n%s", seed.out.String(), tail(seed.err.String(), 400))
		}
	})
	// The RPC port answers once the daemon is up.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c := exec.Command("transmission-remote", rpc, "-si")
		c.Env = append(os.Environ(), "HOME="+base, "TR_AUTH=")
		if c.Run() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transmission-daemon did not answer RPC on %s in 30s:\n%s", rpc, trLog.String())
		}
	}
	// A peer port taken by another program (another Transmission on its
	// default 51413, say) leaves Transmission listening on :: alone while
	// it announces that port: the seed then dials whoever holds
	// 127.0.0.1:PORT, and the download stalls at 0% with nothing wrong in
	// shoal. Transmission logs the bind after RPC is up, in batches.
	bound := regexp.MustCompile(`Bound socket \d+ to port ` + peerPort + ` on |Couldn't bind port ` + peerPort)
	for deadline := time.Now().Add(15 * time.Second); !bound.MatchString(trLog.String()) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(trLog.String(), "Couldn't bind port "+peerPort) {
		t.Fatalf("transmission-daemon could not bind its peer port %s on 127.0.0.1; not a shoal failure:\n%s", peerPort, trLog.String())
	}
	trRemote(t, rpc, "-a", tor)
	trRemoteUntil(t, rpc, `(?m)^\s+1\s+100%`, 120*time.Second, "-l")
	sameTree(t, data, filepath.Join(dl, "dataset"))
}

// tail returns at most the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
