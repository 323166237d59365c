package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

func TestDaemon_CLIDrivesIt(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 600_000, "sub/b.bin": 70_000})
	// Slow enough that show catches the seed connected.
	d := startDaemon(t, t.TempDir(), "--down-limit", "200KiB")

	out := d.must(t, "add", magnet, "-o", filepath.Join(d.dl, "here"))
	var id int
	var hash, name string
	if _, err := fmt.Sscanf(out, "Added %d %s %s", &id, &hash, &name); err != nil || id != 1 || name != "dataset" {
		t.Fatalf("add printed %q; want \"Added 1 HASH dataset\"", out)
	}
	d.waitDetail(t, "1", "the seed among its peers", func(dt daemon.Detail) bool {
		return len(dt.Torrent.Peers) > 0 && !dt.Torrent.Verified
	})
	if s := d.must(t, "show", "1"); !strings.Contains(s, "PEER ") || !strings.Contains(s, "127.0.0.1:") {
		t.Errorf("show during the download lists no peer:\n%s", s)
	}
	d.waitRow(t, id, "verified", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	sameTree(t, data, filepath.Join(d.dl, "here", "dataset"))

	// verify ID checks the data again and fetches what no longer matches.
	a := filepath.Join(d.dl, "here", "dataset", "a.bin")
	f, err := os.OpenFile(a, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("garbage"), 100_000)
	f.Close()
	if out := d.must(t, "verify", "1"); !strings.HasPrefix(out, "Verifying 1 "+hash) {
		t.Errorf("verify 1 printed %q", out)
	}
	d.waitRow(t, id, "verified again", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	sameTree(t, data, filepath.Join(d.dl, "here", "dataset"))

	// show by number and by infohash prefix: files and pieces.
	for _, ref := range []string{"1", hash[:6]} {
		s := d.must(t, "show", ref)
		for _, want := range []string{"Name:      dataset", "FILE", "dataset/sub/b.bin", "41 done, 0 in flight, 0 missing"} {
			if !strings.Contains(s, want) {
				t.Errorf("show %s lacks %q:\n%s", ref, want, s)
			}
		}
	}
	var dt daemon.Detail
	if err := json.Unmarshal([]byte(d.must(t, "show", "1", "--json")), &dt); err != nil || dt.InfoHash[:8] != hash || len(dt.Torrent.Files) != 2 {
		t.Fatalf("show --json: %+v, %v", dt, err)
	}

	d.must(t, "pause", "1")
	d.waitRow(t, id, "paused", 10*time.Second, func(r daemon.Row) bool { return r.State == "paused" })
	d.must(t, "resume", hash)
	d.waitRow(t, id, "resumed", 10*time.Second, func(r daemon.Row) bool { return r.State == "seeding" })

	d.must(t, "set", "1", "--file", "1=skip", "--file", "0=high")
	d.waitDetail(t, "1", "with the new priorities", func(dt daemon.Detail) bool {
		return dt.Torrent.Files[1].Priority == -1 && dt.Torrent.Files[0].Priority == 1
	})
	if code, _, errs := d.cli(t, "set", "1", "--file", "7=skip"); code != exitUsage || !strings.Contains(errs, "files 0 to 1") {
		t.Errorf("set of a file that does not exist: exit %d, %q", code, errs)
	}

	// Bad ids say what to do and exit with the documented codes.
	if code, _, errs := d.cli(t, "show", "9"); code != exitNotFound || !strings.Contains(errs, "shoal ls") {
		t.Errorf("show 9: exit %d, %q; want %d pointing at shoal ls", code, errs, exitNotFound)
	}
	if code, _, errs := d.cli(t, "pause", "xyz"); code != exitUsage || !strings.Contains(errs, "no torrent id") {
		t.Errorf("pause xyz: exit %d, %q", code, errs)
	}
	if code, _, errs := d.cli(t, "add", magnet); code != exitConflict || !strings.Contains(errs, "already added, as 1") {
		t.Errorf("adding it again: exit %d, %q", code, errs)
	}

	// A second daemon on the same state dir is refused and names this one.
	code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", d.state,
		"--socket", filepath.Join(shortTemp(t), "2.sock"))
	if code != exitDaemonRunning || !strings.Contains(errs, fmt.Sprintf("PID %d", os.Getpid())) {
		t.Errorf("second daemon: exit %d, %q; want %d naming PID %d", code, errs, exitDaemonRunning, os.Getpid())
	}

	d.must(t, "rm", "1", "--delete-data")
	if rows := d.rows(t); len(rows) != 0 {
		t.Errorf("after rm: ls lists %+v", rows)
	}
	if _, err := os.Stat(filepath.Join(d.dl, "here", "dataset")); !os.IsNotExist(err) {
		t.Errorf("rm --delete-data left the data: %v", err)
	}
	if es, err := (&daemon.Library{Dir: d.state}).Load(); err != nil || len(es) != 0 {
		t.Errorf("library after rm: %+v, %v", es, err)
	}
}

func TestDaemon_RestartRestoresLibrary(t *testing.T) {
	state := t.TempDir()
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000})
	torrent := filepath.Join(dir, "d.torrent")
	createTorrent(t, data, torrent)
	d := startDaemon(t, state)
	d.must(t, "add", torrent, "-o", dir, "--paused")
	d.stop()
	<-d.done
	if d.code != 0 {
		t.Fatalf("daemon stopped by Ctrl-C: exit %d, want 0\n%s", d.code, d.err.String())
	}
	d = startDaemon(t, state)
	if !strings.Contains(d.out.String(), "1 torrent(s) restored") {
		t.Errorf("restart: %q", d.out.String())
	}
	d.waitRow(t, 1, "restored paused", 10*time.Second, func(r daemon.Row) bool { return r.State == "paused" })
	d.must(t, "resume", "1")
	d.waitRow(t, 1, "seeding", 10*time.Second, func(r daemon.Row) bool { return r.State == "seeding" && r.Progress == 1 })
}

func TestDaemon_NoDaemon(t *testing.T) {
	sock := filepath.Join(shortTemp(t), "none.sock")
	for _, args := range [][]string{{"ls"}, {"show", "1"}, {"pause", "1", "2"}, {"add", "magnet:?xt=urn:btih:" + strings.Repeat("ab", 20)}} {
		code, _, errs := shoalRun(t, append(args, "--socket", sock)...)
		if code != exitNoDaemon || !strings.Contains(errs, "no shoal daemon is running") || !strings.Contains(errs, "'shoal daemon'") {
			t.Errorf("shoal %v with no daemon: exit %d, %q; want %d and how to start one", args, code, errs, exitNoDaemon)
		}
	}
}

func TestDaemon_SeedHandsFolderOver(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	peer := d.waitFor(t, `peers on (\S+),`, time.Second)[1]
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 400_000, "b/c.bin": 9_000})
	code, out, errs := shoalRun(t, "seed", data, "--daemon", "--socket", d.sock, "--state-dir", t.TempDir(), "--piece-length", "16KiB")
	if code != 0 || !strings.Contains(out, "The daemon seeds dataset as 1") {
		t.Fatalf("seed --daemon: exit %d\n%s\n%s", code, out, errs)
	}
	magnet := regexpFind(t, out, `Magnet:  (\S+)`)
	d.waitRow(t, 1, "seeding", 10*time.Second, func(r daemon.Row) bool { return r.State == "seeding" })

	got := t.TempDir()
	if code, out, errs := shoalRun(t, "get", magnet+"&x.pe="+peer, "-o", got, "--listen", "127.0.0.1:0", "--no-tui",
		"--no-dht", "--state-dir", t.TempDir()); code != 0 {
		t.Fatalf("get from the daemon: exit %d\n%s\n%s", code, out, errs)
	}
	sameTree(t, data, filepath.Join(got, "dataset"))

	// Without a daemon, seed --daemon says so before hashing anything.
	code, _, errs = shoalRun(t, "seed", data, "--daemon", "--socket", filepath.Join(shortTemp(t), "none.sock"), "--state-dir", t.TempDir())
	if code != exitNoDaemon || strings.Contains(errs, "Hashing") {
		t.Errorf("seed --daemon with no daemon: exit %d, %q; want %d before hashing", code, errs, exitNoDaemon)
	}
}

func regexpFind(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %q in %q", re, s)
	}
	return m[1]
}
