package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedFolder starts `shoal seed` on a generated folder and returns the
// folder, its peer address and its magnet link with that peer.
func seedFolder(t *testing.T, sizes map[string]int) (data, addr, magnet string, p *proc) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "dataset")
	writeTree(t, data, sizes)
	p = shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", filepath.Join(dir, "state"),
		"--piece-length", "16KiB")
	addr = p.waitFor(t, `Listening on (\S+);`, 30*time.Second)[1]
	magnet = p.waitFor(t, `Magnet with this peer: (\S+)`, time.Second)[1]
	return data, addr, magnet, p
}

func TestSeedThenGetByMagnet(t *testing.T) {
	data, addr, magnet, _ := seedFolder(t, map[string]int{"a.bin": 1 << 20, "nested/deeper/c.dat": 50_000, "empty": 0})
	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--json",
		"--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameTree(t, data, filepath.Join(out, "dataset"))

	// The last line is the summary, with what the seed sent us.
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum jsonSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Type != "summary" {
		t.Fatalf("last line is not a JSON summary: %q (%v)", lines[len(lines)-1], err)
	}
	var fromSeed int64
	for _, p := range sum.Peers {
		if p.Addr == addr {
			fromSeed = p.Downloaded
		}
	}
	if !sum.Complete || fromSeed < 1<<20 {
		t.Errorf("summary: complete=%v, %d bytes from seed %s; want complete and the whole payload from it: %+v", sum.Complete, fromSeed, addr, sum)
	}
	for _, l := range lines[:len(lines)-1] {
		if !json.Valid([]byte(l)) {
			t.Errorf("--json printed a line that is not JSON: %q", l)
		}
	}
}

func TestGetRefusesToOverwriteDifferentFiles(t *testing.T) {
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 100_000})
	out := t.TempDir()
	mine := filepath.Join(out, "dataset", "a.bin")
	os.MkdirAll(filepath.Dir(mine), 0o755)
	os.WriteFile(mine, []byte("the user's own file"), 0o644)

	code, _, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", t.TempDir())
	if code != exitConflict || !strings.Contains(stderr, "--force") {
		t.Errorf("get over a different file: exit %d, stderr %q; want %d mentioning --force", code, stderr, exitConflict)
	}
	if b, _ := os.ReadFile(mine); string(b) != "the user's own file" {
		t.Errorf("get overwrote a file it did not write")
	}
}

func TestSeedAgainSkipsHashing(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 200_000})
	state := filepath.Join(dir, "state")
	seedOnce := func() string {
		p := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", state, "--progress-every", "100ms")
		p.waitFor(t, ` seeding `, 30*time.Second)
		p.stop()
		<-p.done
		if p.code != 0 {
			t.Fatalf("seed stopped by Ctrl-C: exit %d, want 0\n%s", p.code, p.err.String())
		}
		return p.err.String()
	}
	if first := seedOnce(); !strings.Contains(first, "Hashing") {
		t.Fatalf("first seed did not hash: %q", first)
	}
	if second := seedOnce(); strings.Contains(second, "Hashing") {
		t.Errorf("second seed of an unchanged folder hashed again: %q", second)
	}
	// A changed file means a new torrent, hashed again, and the user is
	// told that the magnet link they gave out no longer works.
	os.WriteFile(filepath.Join(data, "a.bin"), []byte("changed"), 0o644)
	p := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", state, "--progress-every", "100ms")
	p.waitFor(t, ` seeding `, 30*time.Second)
	p.stop()
	<-p.done
	if !strings.Contains(p.err.String(), "Hashing") {
		t.Errorf("seed after a change did not hash again")
	}
	want := data + " changed since it was last shared (1 file): this is a new torrent with a new magnet link, and the old one ("
	if out := p.out.String(); !strings.Contains(out, want) || !strings.Contains(out, "To serve the old data too, where it is still intact: shoal seed ") {
		t.Errorf("seed after a change does not say the old magnet is no longer served:\n%s", out)
	}
}
