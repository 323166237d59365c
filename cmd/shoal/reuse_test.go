package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// get finds a v2 torrent's files in a --reuse folder, completes with no
// peer at all, says so once, and leaves the folder as it was.
func TestGet_ReuseFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000, "sub/b.bin": 40_000})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor, "--format", "v2"); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	reuse := filepath.Join(dir, "old-copy")
	if err := os.Rename(data, reuse); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, reuse)
	out := filepath.Join(dir, "out")
	code, stdout, errs := shoalRun(t, "get", tor, "-o", out, "--reuse", reuse, "--no-tui", "--listen", "127.0.0.1:0",
		"--no-dht", "--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get: %d %s\n%s", code, errs, stdout)
	}
	if n := strings.Count(stdout, "already had 2 of 2 files (332.0 KiB)"); n != 1 {
		t.Errorf("said %d times, want once:\n%s", n, stdout)
	}
	for _, f := range []string{"a.bin", "sub/b.bin"} {
		want, _ := os.ReadFile(filepath.Join(reuse, f))
		got, err := os.ReadFile(filepath.Join(out, "dataset", f))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: bytes differ (%v)", f, err)
		}
	}
	if after := dirState(t, reuse); len(after) != len(before) {
		t.Errorf("reuse folder changed")
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("reuse folder: %s changed", k)
			}
		}
	}
}

// dirState is each file's bytes and mtime under root.
func dirState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			out[p] = fi.ModTime().String() + string(b)
		}
		return nil
	})
	return out
}

func TestGet_ReuseBadFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	writeTree(t, data, map[string]int{"a": 10})
	tor := filepath.Join(dir, "d.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	code, _, errs := shoalRun(t, "get", tor, "-o", dir, "--reuse", filepath.Join(dir, "nope"), "--no-tui", "--no-dht")
	if code != exitNotFound || !strings.Contains(errs, "--reuse") {
		t.Errorf("missing folder: exit %d %q, want %d naming --reuse", code, errs, exitNotFound)
	}
	code, _, errs = shoalRun(t, "stream", tor, "-o", dir, "--reuse", filepath.Join(dir, "nope"), "--no-dht", "--http", "127.0.0.1:0")
	if code != exitNotFound || !strings.Contains(errs, "--reuse") {
		t.Errorf("stream, missing folder: exit %d %q, want %d naming --reuse", code, errs, exitNotFound)
	}
	code, _, errs = shoalRun(t, "get", tor, "-o", dir, "--reuse", tor, "--no-tui", "--no-dht")
	if code != exitUsage || !strings.Contains(errs, "not a folder") {
		t.Errorf("a file: exit %d %q, want %d", code, errs, exitUsage)
	}
}

// A one-process get finds a file in the library's torrents (what an
// earlier get or seed left in library.json), with no --reuse and no peer.
func TestGet_ReuseLibrary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := t.TempDir()
	data := filepath.Join(dir, "a-set")
	writeTree(t, data, map[string]int{"x.bin": 200_000, "y.bin": 1000})
	torA := filepath.Join(dir, "a.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", torA); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	outA := filepath.Join(dir, "outA")
	if code, out, errs := shoalRun(t, "get", torA, "-o", outA, "--reuse", data, "--no-tui", "--listen", "127.0.0.1:0",
		"--no-dht", "--state-dir", state); code != 0 {
		t.Fatalf("get A: %d %s\n%s", code, errs, out)
	}
	single := filepath.Join(dir, "b", "x-again.bin")
	os.MkdirAll(filepath.Dir(single), 0o755)
	b, _ := os.ReadFile(filepath.Join(data, "x.bin"))
	os.WriteFile(single, b, 0o644)
	torB := filepath.Join(dir, "b.torrent")
	if code, _, errs := shoalRun(t, "create", single, "-o", torB); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	os.RemoveAll(data)
	os.RemoveAll(filepath.Dir(single))
	outB := filepath.Join(dir, "outB")
	code, out, errs := shoalRun(t, "get", torB, "-o", outB, "--no-tui", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "already had 1 of 1 files") {
		t.Fatalf("get B: %d %s\n%s", code, errs, out)
	}
	if got, _ := os.ReadFile(filepath.Join(outB, "x-again.bin")); string(got) != string(b) {
		t.Error("B's bytes differ")
	}
}

// A different file already at the target path stays, even when the right
// bytes are in a --reuse folder: get says so and exits 6.
func TestGet_ReuseNeverReplacesAFileInTheWay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "set")
	writeTree(t, data, map[string]int{"a.bin": 50_000})
	tor := filepath.Join(dir, "set.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor, "--format", "hybrid"); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	out := filepath.Join(dir, "out")
	mine := filepath.Join(out, "set", "a.bin")
	os.MkdirAll(filepath.Dir(mine), 0o755)
	os.WriteFile(mine, []byte("the user's own file"), 0o644)
	code, stdout, errs := shoalRun(t, "get", tor, "-o", out, "--reuse", data, "--no-tui", "--listen", "127.0.0.1:0",
		"--no-dht", "--state-dir", t.TempDir())
	if code != exitConflict || !strings.Contains(errs, "a.bin") {
		t.Errorf("exit %d, want %d naming a.bin\n%s\n%s", code, exitConflict, stdout, errs)
	}
	if b, _ := os.ReadFile(mine); string(b) != "the user's own file" {
		t.Errorf("the user's file now holds %d bytes", len(b))
	}
}
