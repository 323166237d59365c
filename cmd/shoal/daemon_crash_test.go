package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// TestDaemon_KillNineWith20Torrents downloads 20 torrents into a real
// daemon process, kills it with SIGKILL mid-download a few times, and
// restarts it: every restart brings all 20 back, forgets no verified piece,
// re-hashes nothing, and at the end every byte is right.
func TestDaemon_KillNineWith20Torrents(t *testing.T) {
	bin := shoalBinary(t)
	const n = 20
	// The seed is slow enough that each run is killed mid-download.
	seed := startDaemon(t, t.TempDir(), "--up-limit", "2MiB")
	peer := seed.waitFor(t, `peers on (\S+),`, time.Second)[1]
	src := t.TempDir()
	magnets := make([]string, n)
	for i := range n {
		data := filepath.Join(src, fmt.Sprintf("set%02d", i))
		writeTree(t, data, map[string]int{"a.bin": 600_000 + 1000*i, "b.bin": 1 + i})
		out := seed.must(t, "seed", data, "--daemon", "--state-dir", t.TempDir(), "--piece-length", "32KiB")
		magnets[i] = regexpFind(t, out, `Magnet:  (\S+)`) + "&x.pe=" + peer
	}

	base := shortTemp(t)
	leech := &testDaemon{sock: filepath.Join(base, "l.sock"), state: filepath.Join(base, "state"), dl: filepath.Join(base, "dl")}
	logFile := filepath.Join(base, "log")
	start := func() *child {
		c := startChild(t, bin, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", leech.state, "--socket", leech.sock,
			"--download-dir", leech.dl, "--log-level", "info", "--log-file", logFile)
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(c.output(), "ready") {
			if time.Now().After(deadline) {
				t.Fatalf("daemon not ready in 30s: %s", c.output())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return c
	}
	c := start()
	for _, m := range magnets {
		leech.must(t, "add", m)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	kills := 0
	for kills < 3 {
		time.Sleep(time.Duration(700+rng.IntN(1000)) * time.Millisecond)
		before := leech.rows(t)
		done := 0
		for _, r := range before {
			if r.Verified {
				done++
			}
		}
		if done == n {
			break // finished before this kill
		}
		c.cmd.Process.Kill() // SIGKILL: no shutdown, no final save
		<-c.done
		kills++
		c = start()
		// All 20 come back, each with at least the pieces it had shown.
		deadline := time.Now().Add(30 * time.Second)
		for {
			rows := leech.rows(t)
			missing := behind(before, rows)
			if len(rows) == n && missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after kill %d: %d torrents back; behind what they had: %s", kills, len(rows), missing)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if kills == 0 {
		t.Fatalf("the download finished before the first kill; slow the seed down")
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		verified := 0
		for _, r := range leech.rows(t) {
			if r.Verified {
				verified++
			}
		}
		if verified == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d torrents verified within 120s of the last restart", verified, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := range n {
		name := fmt.Sprintf("set%02d", i)
		sameTree(t, filepath.Join(src, name), filepath.Join(leech.dl, name))
	}
	logs, _ := os.ReadFile(logFile)
	if checks := strings.Count(string(logs), "checking"); checks > 0 {
		t.Errorf("restarts re-hashed data %d times; the resume state should make that unnecessary:\n%s", checks,
			grepLines(string(logs), "checking"))
	}
	t.Logf("%d kills of a daemon with %d torrents; all resumed, none re-hashed", kills, n)
}

// behind names the torrents of after that lack, or show fewer verified
// bytes than, they had in before.
func behind(before, after []daemon.Row) string {
	now := map[string]daemon.Row{}
	for _, r := range after {
		now[r.InfoHash] = r
	}
	var out []string
	for _, r := range before {
		a, ok := now[r.InfoHash]
		switch {
		case !ok:
			out = append(out, r.Name+" missing")
		case a.DoneBytes < r.DoneBytes:
			out = append(out, fmt.Sprintf("%s %d<%d", r.Name, a.DoneBytes, r.DoneBytes))
		}
	}
	return strings.Join(out, ", ")
}
