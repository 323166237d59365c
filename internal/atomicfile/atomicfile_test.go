package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, durable := range []bool{true, false} {
		for _, content := range []string{"first", "second, longer than the first"} {
			if err := Write(path, []byte(content), 0o600, durable); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != content {
				t.Fatalf("durable=%v: read %q, %v; want %q", durable, got, err, content)
			}
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("left %d entries in the folder, want only the file", len(es))
	}
}

func TestWrite_FailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := Write(path, []byte("old"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	// A directory where the new file would be renamed to: the rename fails.
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644, true); err == nil {
		t.Fatal("write into a missing folder succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("old file now %q", got)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("a temporary file was left behind: %v", es)
	}
}
