package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateInfoVerify(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000, "sub/ü b.txt": 70_001, "empty": 0})
	tor := filepath.Join(dir, "dataset.torrent")

	code, out, errs := shoalRun(t, "create", data, "-o", tor, "--piece-length", "32KiB", "--comment", "hi")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "magnet:?xt=urn:btih:") {
		t.Errorf("create printed no magnet link:\n%s", out)
	}

	code, out, _ = shoalRun(t, "info", tor)
	for _, want := range []string{"dataset", "Pieces:      12 of 32 KiB", "dataset/sub/ü b.txt", "blake3:", "Comment:     hi"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("info: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}

	// Both the parent directory and the folder itself name the data.
	for _, d := range []string{dir, data} {
		if code, out, errs := shoalRun(t, "verify", d, tor); code != 0 || !strings.Contains(out, "OK") {
			t.Errorf("verify %s: exit %d\n%s%s", d, code, out, errs)
		}
	}

	// One flipped byte: verify names the file and exits 4.
	p := filepath.Join(data, "sub", "ü b.txt")
	b, _ := os.ReadFile(p)
	b[100] ^= 1
	os.WriteFile(p, b, 0o644)
	code, out, _ = shoalRun(t, "verify", dir, tor)
	if code != exitVerify || !strings.Contains(out, "ü b.txt") {
		t.Errorf("verify after corruption: exit %d, want %d naming the file:\n%s", code, exitVerify, out)
	}
}

func TestBadInputExitCodes(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.torrent")
	os.WriteFile(garbage, []byte("d4:infoi3ee"), 0o644)
	existing := filepath.Join(dir, "exists.torrent")
	os.WriteFile(existing, []byte("mine"), 0o644)
	data := filepath.Join(dir, "d")
	writeTree(t, data, map[string]int{"x": 10})

	for _, tt := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"missing torrent", []string{"get", filepath.Join(dir, "nope.torrent"), "--no-tui"}, exitNotFound, "no such file"},
		{"garbage torrent", []string{"info", garbage}, exitUsage, "garbage.torrent"},
		{"bad magnet", []string{"info", "magnet:?xt=urn:btih:zz"}, exitUsage, "magnet"},
		{"missing folder", []string{"create", filepath.Join(dir, "nope")}, exitNotFound, "no such file or folder"},
		{"output exists", []string{"create", data, "-o", existing}, exitConflict, "--force"},
		{"bad piece length", []string{"create", data, "--piece-length", "1000"}, exitUsage, "power of two"},
		{"bad web seed", []string{"create", data, "--web-seed", "ftp://h/d/"}, exitUsage, `--web-seed "ftp://h/d/": scheme "ftp"`},
		{"unknown flag", []string{"get", "--bogus"}, exitUsage, "unknown flag"},
		{"unknown command", []string{"fetch", "x"}, exitUsage, `unknown command "fetch"`},
		{"too many args", []string{"info", "a", "b"}, exitUsage, "wants FILE.torrent|MAGNET"},
		{"verify missing dir", []string{"verify", filepath.Join(dir, "nope"), garbage}, exitUsage, "garbage.torrent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := shoalRun(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.says) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tt.code, tt.says)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("create overwrote a file it did not write")
	}
}

func TestClaimStateFile_OnePerProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dht-get.dat")
	first, release1, err := claimStateFile(path)
	if err != nil || first != path {
		t.Fatalf("first claim: %q, %v; want %q", first, err, path)
	}
	second, release2, err := claimStateFile(path)
	if err != nil || second == first || !strings.HasSuffix(second, "dht-get-2.dat") {
		t.Fatalf("second claim while the first holds: %q, %v; want dht-get-2.dat", second, err)
	}
	release2()
	release1()
	again, release3, err := claimStateFile(path)
	if err != nil || again != path {
		t.Errorf("claim after release: %q, %v; want %q back", again, err, path)
	}
	release3()
}
