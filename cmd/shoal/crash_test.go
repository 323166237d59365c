package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
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
	errs  syncBuffer
}

func startChild(t *testing.T, bin string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Stderr = &c.errs
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

// firstProgress returns the first progress line once the metadata is
// known (before it, a magnet's progress says nothing of what resumed).
func (c *child) firstProgress() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if l != nil && l["type"] == "progress" && num(l, "wantedBytes") > 0 {
			return l
		}
	}
	return nil
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.raw, "\n") + "\nstderr:\n" + c.errs.String()
}

func num(m map[string]any, k string) int64 {
	if m == nil {
		return 0
	}
	f, _ := m[k].(float64)
	return int64(f)
}

// TestCrash_KillNineResumes kills a downloading `shoal get` with SIGKILL
// over and over, and restarts it each time: first within its first second
// (metadata arrives, files are created, the first pieces land), then at
// random moments. The seed shares the download's state dir, as both do
// with the default one, and is restarted once between kills (it saves its
// own record on the way out). Every restart must pick up the verified
// pieces the last one had (less at most what it was still flushing), must
// not re-hash the download or take its own half-written files for a
// user's edit, and the last run must exit 0 with every file's SHA-256
// equal to the seed's.
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
		early    = 3 // kills in the first second, before the seed restarts
	)
	// Each run downloads about 2 MiB before its kill (0.2-1.1 s at 3 MiB/s):
	// the payload must outlast wantKills runs.
	size := int64(max(48, wantKills*5/2)) << 20
	sizes := map[string]int{"big.bin": int(size) - 300_000, "a.bin": 100_000, "sub/b.bin": 100_000, "sub/c.bin": 100_000}
	base := t.TempDir()
	out, state, logFile := filepath.Join(base, "out"), filepath.Join(base, "state"), filepath.Join(base, "log")
	data, addr, magnet, _, seed := seedFolderState(t, sizes, pieceLen, "3MiB", state, "127.0.0.1:0")
	args := []string{"get", magnet, "-o", out, "--state-dir", state, "--listen", "127.0.0.1:0", "--peer", addr,
		"--json", "--no-dht", "--progress-every", "50ms", "--log-level", "info", "--log-file", logFile}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var (
		kills      int
		lostMax    int64 // most verified bytes a restart forgot of what the killed run had shown
		prevDone   int64 // the last doneBytes the killed run printed
		resumed    []int64
		sentBefore int64 // by the seed before its restart
	)
	var final *child
	for final == nil {
		c := startChild(t, bin, args...)
		if kills >= wantKills {
			final = c
			break
		}
		if kills < early {
			time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(200+rng.IntN(900)) * time.Millisecond)
		}
		select {
		case <-c.done:
			final = c // finished before the kill
			continue
		default:
		}
		c.cmd.Process.Kill() // SIGKILL: no deferred save, no stopped announce
		<-c.done
		kills++
		if f := c.firstProgress(); f != nil && kills > 1 {
			got := num(f, "doneBytes")
			resumed = append(resumed, got)
			lostMax = max(lostMax, prevDone-got)
		}
		if p := c.last("progress"); p != nil {
			prevDone = num(p, "doneBytes")
		}
		if kills == early {
			// Stopped with Ctrl-C, the seed saves its resume record, and a
			// download whose record it overwrote would trust the seed's
			// pieces, then refuse to fetch "over the user's edit".
			time.Sleep(time.Second) // the summary reports the last published snapshot
			seed.stop()
			<-seed.done
			sentBefore = seedSent(seed)
			var again string
			_, again, _, _, seed = seedFolderState(t, nil, pieceLen, "3MiB", state, addr, data)
			if again != addr {
				t.Fatalf("restarted seed listens on %s, not %s", again, addr)
			}
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
	if f := final.firstProgress(); f != nil {
		resumed = append(resumed, num(f, "doneBytes"))
		lostMax = max(lostMax, prevDone-num(f, "doneBytes"))
	}
	if sum := final.last("summary"); sum == nil || sum["complete"] != true {
		t.Fatalf("final run did not complete: %v\n%s", sum, final.output())
	}
	for name := range sizes {
		want, got := sha256File(t, filepath.Join(data, name)), sha256File(t, filepath.Join(out, "dataset", name))
		if want != got {
			t.Errorf("%s: sha256 %x, the seed's is %x", name, got, want)
		}
	}
	sameTree(t, data, filepath.Join(out, "dataset"))

	// The seed counts every byte it sent, also to runs that were killed.
	seed.stop()
	<-seed.done
	sent := sentBefore + seedSent(seed)
	if sent < size {
		t.Fatalf("seed summary says %d bytes sent, want at least %d:\n%s", sent, size, seed.out.String())
	}
	logs, _ := os.ReadFile(logFile)
	checks := strings.Count(string(logs), "checking")
	if strings.Contains(string(logs), "edited") || strings.Contains(string(logs), "changed on disk") {
		t.Errorf("a restart took shoal's own interrupted writes for a user's edit:\n%s", grepLines(string(logs), "edit"))
	}
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
	return seedFolderState(t, sizes, pieceLen, upLimit, filepath.Join(t.TempDir(), "state"), "127.0.0.1:0")
}

// seedFolderState seeds a new folder of the given sizes, or the existing
// folder reuse[0] again, with its state in state, listening on listen.
func seedFolderState(t *testing.T, sizes map[string]int, pieceLen int, upLimit, state, listen string, reuse ...string) (data, addr, magnet, torrentPath string, p *proc) {
	t.Helper()
	if len(reuse) > 0 {
		data = reuse[0]
	} else {
		data = filepath.Join(t.TempDir(), "dataset")
		fastPayload(t, data, sizes)
	}
	p = shoalStart(t, "seed", data, "--listen", listen, "--json", "--no-dht", "--state-dir", state,
		"--piece-length", fmt.Sprintf("%dKiB", pieceLen>>10), "--up-limit", upLimit)
	addr = p.waitFor(t, `"listen":"([^"]+)"`, 30*time.Second)[1]
	torrentPath = p.waitFor(t, `"torrent":"([^"]+)"`, time.Second)[1]
	magnet = p.waitFor(t, `"magnetWithPeer":"([^"]+)"`, time.Second)[1]
	if s, err := strconv.Unquote(`"` + magnet + `"`); err == nil {
		magnet = s // JSON-escaped
	}
	return data, addr, magnet, torrentPath, p
}

func sha256File(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// seedSent is what a stopped seed's summary says it uploaded.
func seedSent(p *proc) int64 {
	for _, l := range strings.Split(p.out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["type"] == "summary" {
			return num(m, "uploaded")
		}
	}
	return 0
}

// TestGet_EditedCompleteFileIsNotDone: a file a finished download left
// complete, then edited by the user, is the user's. Fetching again does not
// write over it, and does not exit 0 either: its lost pieces are missing,
// not done, so `get` says which file and exits 6; with --force it fetches
// them and ends with the seed's bytes.
func TestGet_EditedCompleteFileIsNotDone(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 200_000, "b.bin": 100_000})
	out, state := t.TempDir(), t.TempDir()
	get := func(extra ...string) (int, string) {
		code, stdout, stderr := shoalRun(t, append([]string{"get", magnet, "-o", out, "--listen", "127.0.0.1:0",
			"--no-tui", "--no-dht", "--state-dir", state}, extra...)...)
		return code, stdout + stderr
	}
	if code, msg := get(); code != 0 {
		t.Fatalf("first get: exit %d\n%s", code, msg)
	}
	edited := filepath.Join(out, "dataset", "a.bin")
	b, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	b[50_000] ^= 0xff
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(edited, later, later)

	code, msg := get()
	if code != exitConflict || !strings.Contains(msg, "a.bin changed on disk") || !strings.Contains(msg, "--force") ||
		strings.Contains(msg, "completed") || strings.Contains(msg, "verified") {
		t.Fatalf("get over an edited complete file: exit %d, want %d saying which file and --force, never completed:\n%s", code, exitConflict, msg)
	}
	if got, _ := os.ReadFile(edited); !bytes.Equal(got, b) {
		t.Fatal("get wrote over the user's edit")
	}
	if code, msg := get("--force"); code != 0 {
		t.Fatalf("get --force: exit %d\n%s", code, msg)
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}

// resumeRecord is the path of the one resume record for infohash ih in
// state (records are named after the infohash and the data directory).
func resumeRecord(t *testing.T, state string, ih [20]byte) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(state, fmt.Sprintf("%x-*.resume", ih[:])))
	if len(m) != 1 {
		t.Fatalf("resume records for %x in %s: %v; want one", ih[:], state, m)
	}
	return m[0]
}
