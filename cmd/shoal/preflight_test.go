package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGet_OutputCheckedBeforeWork: what would stop a download later is said
// before any peer is contacted, with full paths and the documented codes,
// and nothing is written.
func TestGet_OutputCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"sub/y.bin": 20_000, "x.bin": 10})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	for _, tt := range []struct {
		name  string
		setup func(out string) (elsewhere string)
		code  int
		says  func(out string) string
	}{
		{"a file where the folder goes", func(out string) string {
			os.WriteFile(filepath.Join(out, "dataset"), []byte("mine"), 0o644)
			return ""
		}, exitConflict, func(out string) string {
			return filepath.Join(out, "dataset") + " is a file, but the torrent needs a folder there"
		}},
		{"a file where a subfolder goes", func(out string) string {
			os.MkdirAll(filepath.Join(out, "dataset"), 0o755)
			os.WriteFile(filepath.Join(out, "dataset", "sub"), []byte("mine"), 0o644)
			return ""
		}, exitConflict, func(out string) string { return filepath.Join(out, "dataset", "sub") + " is a file" }},
		{"output is a file", func(out string) string {
			os.Remove(out)
			os.WriteFile(out, []byte("mine"), 0o644)
			return ""
		}, exitConflict, func(out string) string { return "-o " + out + " is a file, not a folder" }},
		{"symlink out of the folder", func(out string) string {
			elsewhere := t.TempDir()
			os.Symlink(elsewhere, filepath.Join(out, "dataset"))
			return elsewhere
		}, exitUsage, func(out string) string {
			return filepath.Join(out, "dataset") + " is a symlink to "
		}},
		{"symlink deeper down", func(out string) string {
			elsewhere := t.TempDir()
			os.MkdirAll(filepath.Join(out, "dataset"), 0o755)
			os.Symlink(elsewhere, filepath.Join(out, "dataset", "sub"))
			return elsewhere
		}, exitUsage, func(out string) string {
			return filepath.Join(out, "dataset", "sub") + " is a symlink to "
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			elsewhere := tt.setup(out)
			code, _, stderr := shoalRun(t, "get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
				"--state-dir", t.TempDir(), "--peer", "127.0.0.1:1")
			if first := strings.SplitN(stderr, "\n", 2)[0]; code != tt.code || !strings.Contains(first, tt.says(out)) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr, tt.code, tt.says(out))
			}
			if elsewhere != "" {
				if entries, _ := os.ReadDir(elsewhere); len(entries) > 0 {
					t.Errorf("get wrote through the symlink: %v", entries)
				}
			}
		})
	}
}

// TestGet_ReadOnlyOutput: a folder shoal cannot write to is said at once,
// "cannot write to DIR: ...", exit 7.
func TestGet_ReadOnlyOutput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"x.bin": 10})
	tor := filepath.Join(dir, "dataset.torrent")
	if code, _, errs := shoalRun(t, "create", data, "-o", tor); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(out, 0o755)
	if os.Geteuid() == 0 {
		// root writes anywhere a permission bit forbids; a read-only mount
		// stops it.
		if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", out).CombinedOutput(); err != nil {
			t.Skipf("cannot mount a read-only tmpfs as root (%v: %s)", err, b)
		}
		t.Cleanup(func() { exec.Command("umount", out).Run() })
	} else {
		os.Chmod(out, 0o555)
		t.Cleanup(func() { os.Chmod(out, 0o755) })
	}
	code, _, stderr := shoalRun(t, "get", tor, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", t.TempDir())
	want := fmt.Sprintf("shoal: cannot write to %s: ", out)
	if code != exitCannotWrite || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want %d starting %q", code, stderr, exitCannotWrite, want)
	}
}

// TestGet_MagnetOutputCheckedWithMetadata: a magnet's file list is known
// only when its metadata arrives; a file in the way of its folder is then
// said as such (exit 6, full path), not as "mkdirat ...: file exists".
func TestGet_MagnetOutputCheckedWithMetadata(t *testing.T) {
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 100_000, "sub/b.bin": 10})
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "dataset"), []byte("mine"), 0o644)
	code, _, stderr := shoalRun(t, "get", magnet, "-o", out, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", t.TempDir())
	// The engine may log its failed write first; the verdict is shoal's line.
	want := "\nshoal: " + filepath.Join(out, "dataset") + " is a file, but the torrent needs a folder there"
	if code != exitConflict || !strings.Contains("\n"+stderr, want) {
		t.Errorf("exit %d, stderr %q; want %d starting %q", code, stderr, exitConflict, want)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "dataset")); string(b) != "mine" {
		t.Errorf("the file in the way was changed")
	}
}
