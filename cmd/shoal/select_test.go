package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// selFiles are numbered in torrent order: 0 a.bin, 1 b.txt, 2 sub/c.txt,
// 3 sub/d.bin. They are small and adjacent in 16 KiB pieces, so every
// skipped one shares a piece with a wanted one.
var selFiles = map[string]int{"a.bin": 30_000, "b.txt": 10, "sub/c.txt": 5000, "sub/d.bin": 70_000}

func sameFileAs(t *testing.T, want, got string) {
	t.Helper()
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil || string(a) != string(b) {
		t.Errorf("%s: %d bytes (%v); want the seed's %d", got, len(b), err, len(a))
	}
}

func absent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is on disk (%v); it was not chosen", path, err)
	}
}

// TestGetOnly: --only, --files and --skip together choose b.txt and
// sub/d.bin; get exits 0 once they are verified, byte for byte, and the
// others were never created.
func TestGetOnly(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, selFiles)
	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", t.TempDir(), "--only", "*.txt", "--files", "3", "--skip", "sub/c.txt")
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := filepath.Join(out, "dataset")
	sameFileAs(t, filepath.Join(data, "b.txt"), filepath.Join(got, "b.txt"))
	sameFileAs(t, filepath.Join(data, "sub", "d.bin"), filepath.Join(got, "sub", "d.bin"))
	absent(t, filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "sub", "c.txt"))
}

// TestGetMagnetSO: a magnet's so= chooses when no flag does.
func TestGetMagnetSO(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, selFiles)
	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", magnet+"&so=0,2", "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := filepath.Join(out, "dataset")
	sameFileAs(t, filepath.Join(data, "a.bin"), filepath.Join(got, "a.bin"))
	sameFileAs(t, filepath.Join(data, "sub", "c.txt"), filepath.Join(got, "sub", "c.txt"))
	absent(t, filepath.Join(got, "b.txt"))
	absent(t, filepath.Join(got, "sub", "d.bin"))
}

// TestGetSelectionErrors: a glob or number that matches nothing is exit 2
// with a message naming it, before anything is created; for a magnet, once
// its file list arrives.
func TestGetSelectionErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, selFiles)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, "--piece-length", "16KiB")
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--only", "*.mkv"}, `"*.mkv" matches no file of dataset`},
		{[]string{"--only", "*.txt", "--skip", "nope/**"}, `"nope/**" matches no file`},
		{[]string{"--files", "4"}, "no file 4: the torrent has files 0 to 3"},
		{[]string{"--files", "1-x"}, `--files 1-x: bad file selection: "1-x"`},
		{[]string{"--only", "[x"}, "syntax error in pattern"},
		{[]string{"--skip", "*"}, "the selection leaves no file to download"},
	} {
		out := t.TempDir()
		args := append([]string{"get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", t.TempDir()}, tt.args...)
		code, _, stderr := shoalRun(t, args...)
		if code != exitUsage || !strings.Contains(stderr, tt.msg) {
			t.Errorf("get %v: exit %d, stderr %q; want %d with %q", tt.args, code, stderr, exitUsage, tt.msg)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("get %v created %d entries", tt.args, len(ents))
		}
	}

	_, _, magnet, _ := seedFolder(t, selFiles)
	out := t.TempDir()
	code, _, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", t.TempDir(), "--only", "*.mkv")
	if code != exitUsage || !strings.Contains(stderr, `"*.mkv" matches no file`) {
		t.Errorf("get MAGNET --only '*.mkv': exit %d, stderr %q; want %d naming the glob", code, stderr, exitUsage)
	}
	absent(t, filepath.Join(out, "dataset"))
}

// TestInfoNumbersFiles: shoal info numbers the files as --files takes them.
func TestInfoNumbersFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, selFiles)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor)
	code, out, errs := shoalRun(t, "info", tor)
	if code != 0 {
		t.Fatalf("info: %d %s", code, errs)
	}
	var rows []string
	for line := range strings.Lines(out) {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	for _, row := range []string{"0 29 KiB dataset/a.bin", "1 10 B dataset/b.txt", "3 68 KiB dataset/sub/d.bin"} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, row) }) {
			t.Errorf("info does not show %q:\n%s", row, out)
		}
	}
	_, out, _ = shoalRun(t, "info", "--json", tor)
	var o infoOut
	if err := json.Unmarshal([]byte(out), &o); err != nil || len(o.Files) != 4 {
		t.Fatalf("info --json: %v\n%s", err, out)
	}
	if f := o.Files[2]; f.Index != 2 || f.Path != "dataset/sub/c.txt" || f.Size != 5000 {
		t.Errorf("info --json file 2 = %+v", f)
	}
}

// TestDaemon_SelectionTakesEffectAtOnce: the daemon takes a magnet's so=,
// fetches only those files, and `shoal set ID --file N=normal` on a running
// torrent fetches the file at once, its shared bytes moved from the part
// file; rm --delete-data takes the part file too.
func TestDaemon_SelectionTakesEffectAtOnce(t *testing.T) {
	data, _, magnet, _ := seedFolder(t, selFiles)
	d := startDaemon(t, t.TempDir())
	d.must(t, "add", magnet+"&so=1,3", "-o", filepath.Join(d.dl, "here"))
	d.waitRow(t, 1, "verified with files 1 and 3", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	got := filepath.Join(d.dl, "here", "dataset")
	sameFileAs(t, filepath.Join(data, "b.txt"), filepath.Join(got, "b.txt"))
	sameFileAs(t, filepath.Join(data, "sub", "d.bin"), filepath.Join(got, "sub", "d.bin"))
	absent(t, filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "sub", "c.txt"))
	parts, _ := filepath.Glob(filepath.Join(d.dl, "here", ".shoal-*.parts"))
	if len(parts) != 1 {
		t.Fatalf("part files in the download folder: %v; want one", parts)
	}

	d.must(t, "set", "1", "--file", "0=normal", "--file", "2=high")
	d.waitDetail(t, "1", "every file verified", func(dt daemon.Detail) bool {
		return dt.Torrent.Verified && dt.Torrent.DoneBytes == dt.Torrent.SizeBytes
	})
	sameTree(t, data, got)
	absent(t, parts[0]) // no file is skipped any more

	d.must(t, "set", "1", "--file", "1=skip") // on disk already: stays, written in place
	d.must(t, "rm", "1", "--delete-data")
	absent(t, got)
	absent(t, parts[0])
}

// TestInterop_GetOnlyFromAria2: with aria2c as the seed, get --only pulls
// the chosen files (their pieces shared with skipped ones) byte for byte
// and creates nothing else.
func TestInterop_GetOnlyFromAria2(t *testing.T) {
	needTool(t, "aria2c")
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, selFiles)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, "--tracker", announce, "--piece-length", "16KiB")
	ctx, cancel := context.WithCancel(t.Context())
	seeder := aria2(t, ctx, "--dir="+dir, "--check-integrity=true", "--seed-ratio=0.0", tor)
	var aout syncBuffer
	seeder.Stdout, seeder.Stderr = &aout, &aout
	if err := seeder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); seeder.Wait() })

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", t.TempDir(), "--only", "sub", "--skip", "*.bin")
	if code != 0 {
		t.Fatalf("get --only from aria2c: exit %d\n%s\n%s\naria2c said:\n%s", code, stdout, stderr, aout.String())
	}
	got := filepath.Join(out, "dataset")
	sameFileAs(t, filepath.Join(data, "sub", "c.txt"), filepath.Join(got, "sub", "c.txt"))
	absent(t, filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "b.txt"))
	absent(t, filepath.Join(got, "sub", "d.bin"))
}

// TestTransmission_FilesWanted: transmission-remote -G and -g (files
// unwanted, wanted) on a running torrent of the daemon: the file wanted
// again is fetched at once; the one unwanted before it had started is never
// created.
func TestTransmission_FilesWanted(t *testing.T) {
	if _, err := exec.LookPath("transmission-remote"); err != nil {
		t.Skip("transmission-remote not installed (Debian package transmission-cli; .ci/run installs it)")
	}
	data, _, magnet, _ := seedFolder(t, selFiles)
	d := startDaemon(t, t.TempDir(), "--rpc", "127.0.0.1:0")
	rpc := d.waitFor(t, `HTTP control on http://(\S+)/`, 30*time.Second)[1]
	// so= picks 1 and 3: the rest is unwanted from the start.
	if out := trRemote(t, rpc, "-a", magnet+"&so=1,3"); !strings.Contains(out, `responded: "success"`) {
		t.Fatalf("-a: %s", out)
	}
	d.waitRow(t, 1, "verified with files 1 and 3", 60*time.Second, func(r daemon.Row) bool { return r.Verified })
	got := filepath.Join(d.dl, "dataset")
	absent(t, filepath.Join(got, "a.bin"))
	trRemote(t, rpc, "-t", "1", "-g", "0")
	d.waitDetail(t, "1", "a.bin verified too", func(dt daemon.Detail) bool {
		return dt.Torrent.Verified && dt.Torrent.Files[0].Priority == 0
	})
	sameFileAs(t, filepath.Join(data, "a.bin"), filepath.Join(got, "a.bin"))
	absent(t, filepath.Join(got, "sub", "c.txt"))
	trRemote(t, rpc, "-t", "1", "-g", "2")
	d.waitDetail(t, "1", "every file verified", func(dt daemon.Detail) bool {
		return dt.Torrent.Verified && dt.Torrent.DoneBytes == dt.Torrent.SizeBytes
	})
	sameTree(t, data, got)
}
