package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// child is a shoal process whose JSON lines the test reads as they come.
type child struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []map[string]any
	raw   []string
	done  chan struct{}
	err   error // from Wait
}

func startChild(t *testing.T, bin string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	c.cmd.Stderr = &stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			json.Unmarshal(sc.Bytes(), &m)
			c.mu.Lock()
			c.lines = append(c.lines, m)
			c.raw = append(c.raw, sc.Text())
			c.mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// last returns the last JSON line of type typ, or nil.
func (c *child) last(typ string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.lines) - 1; i >= 0; i-- {
		if c.lines[i] != nil && c.lines[i]["type"] == typ {
			return c.lines[i]
		}
	}
	return nil
}

func (c *child) first(typ string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if l != nil && l["type"] == typ {
			return l
		}
	}
	return nil
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.raw, "\n")
}

func num(m map[string]any, k string) int64 {
	if m == nil {
		return 0
	}
	f, _ := m[k].(float64)
	return int64(f)
}

// TestCrash_KillNineResumes kills a downloading `shoal get` with SIGKILL
// at random moments, over and over, and restarts it each time. Every
// restart must pick up the verified pieces the last one had (less at most
// what it was still flushing), must not re-hash the download, and the last
// run must finish with the right bytes.
func TestCrash_KillNineResumes(t *testing.T) {
	bin := shoalBinary(t)
	// make soak sets SHOAL_CRASH_KILLS for a longer run.
	wantKills := 20
	if n, err := strconv.Atoi(os.Getenv("SHOAL_CRASH_KILLS")); err == nil && n > 0 {
		wantKills = n
	}
	const (
		pieceLen = 64 << 10
		rate     = 3 << 20
	)
	// Each run downloads about 2 MiB before its kill (0.2-1.1 s at 3 MiB/s):
	// the payload must outlast wantKills runs.
	size := int64(max(48, wantKills*5/2)) << 20
	data, addr, _, torrentPath, seed := seedFolderRate(t, map[string]int{"big.bin": int(size) - 100_000, "small.bin": 100_000}, pieceLen, "3MiB")
	base := t.TempDir()
	out, state, logFile := filepath.Join(base, "out"), filepath.Join(base, "state"), filepath.Join(base, "log")
	args := []string{"get", torrentPath, "-o", out, "--state-dir", state, "--listen", "127.0.0.1:0", "--peer", addr,
		"--json", "--no-dht", "--progress-every", "50ms", "--log-level", "info", "--log-file", logFile}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var (
		kills    int
		lostMax  int64 // most verified bytes a restart forgot of what the killed run had shown
		prevDone int64 // the last doneBytes the killed run printed
		resumed  []int64
	)
	var final *child
	for final == nil {
		c := startChild(t, bin, args...)
		if kills >= wantKills {
			final = c
			break
		}
		time.Sleep(time.Duration(200+rng.IntN(900)) * time.Millisecond)
		select {
		case <-c.done:
			final = c // finished before the kill
			continue
		default:
		}
		c.cmd.Process.Kill() // SIGKILL: no deferred save, no stopped announce
		<-c.done
		kills++
		if f := c.first("progress"); f != nil && kills > 1 {
			got := num(f, "doneBytes")
			resumed = append(resumed, got)
			lostMax = max(lostMax, prevDone-got)
		}
		if p := c.last("progress"); p != nil {
			prevDone = num(p, "doneBytes")
		}
	}
	select {
	case <-final.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("final run did not finish in 60s:\n%s", final.output())
	}
	if final.err != nil {
		t.Fatalf("final run: %v\n%s", final.err, final.output())
	}
	if f := final.first("progress"); f != nil {
		resumed = append(resumed, num(f, "doneBytes"))
		lostMax = max(lostMax, prevDone-num(f, "doneBytes"))
	}
	if sum := final.last("summary"); sum == nil || sum["complete"] != true {
		t.Fatalf("final run did not complete: %v\n%s", sum, final.output())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))

	// The seed counts every byte it sent, also to runs that were killed.
	seed.stop()
	<-seed.done
	sent := int64(-1)
	for _, l := range strings.Split(seed.out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["type"] == "summary" {
			sent = num(m, "uploaded")
		}
	}
	if sent < size {
		t.Fatalf("seed summary says %d bytes sent, want at least %d:\n%s", sent, size, seed.out.String())
	}
	logs, _ := os.ReadFile(logFile)
	checks := strings.Count(string(logs), "checking")
	extra := sent - size
	perKill := extra / int64(max(kills, 1))
	t.Logf("%d kills; restarts resumed at %v bytes; most verified bytes a restart forgot: %d (%.1f pieces); "+
		"seed sent %d bytes for %d (%.1f%% extra, %d bytes = %.1f pieces per kill); %d re-checks",
		kills, resumed, lostMax, float64(lostMax)/pieceLen, sent, size, 100*float64(extra)/float64(size), perKill,
		float64(perKill)/pieceLen, checks)
	if kills < wantKills {
		t.Errorf("only %d kills before the download finished; want %d", kills, wantKills)
	}
	if checks > 0 {
		t.Errorf("a restart re-hashed pieces %d times; resume state should make that unnecessary:\n%s", checks, grepLines(string(logs), "checking"))
	}
	// A verified piece is in the journal before any progress line can
	// show it, so a restart forgets none of them. A kill may still cost
	// the pieces in flight: the pipeline and what sat in socket buffers,
	// measured at 3-4 pieces a kill on average (without the journal,
	// which also loses what was verified since the last 500 ms record,
	// about 15).
	const budget = 10 * pieceLen
	if lostMax > 0 {
		t.Errorf("a restart forgot %d verified bytes; want none", lostMax)
	}
	if perKill > budget {
		t.Errorf("re-downloaded %d bytes per kill on average; want at most %d", perKill, budget)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// seedFolderRate is seedFolder with a piece length and an upload limit,
// so that a download takes long enough to interrupt. It returns the
// folder, the seed's address, its magnet, the .torrent path and the seed.
func seedFolderRate(t *testing.T, sizes map[string]int, pieceLen int, upLimit string) (data, addr, magnet, torrentPath string, p *proc) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "dataset")
	fastPayload(t, data, sizes)
	p = shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--json", "--no-dht", "--state-dir", filepath.Join(dir, "state"),
		"--piece-length", fmt.Sprintf("%dKiB", pieceLen>>10), "--up-limit", upLimit)
	addr = p.waitFor(t, `"listen":"([^"]+)"`, 30*time.Second)[1]
	torrentPath = p.waitFor(t, `"torrent":"([^"]+)"`, time.Second)[1]
	magnet = p.waitFor(t, `"magnetWithPeer":"([^"]+)"`, time.Second)[1]
	return data, addr, magnet, torrentPath, p
}
