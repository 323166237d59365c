package osutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOpenFileLimit(t *testing.T) {
	if n := OpenFileLimit(); n < 16 {
		t.Errorf("OpenFileLimit() = %d, want a real limit", n)
	}
}

func TestFreeBytes(t *testing.T) {
	n, err := FreeBytes(t.TempDir())
	if err != nil || n <= 0 {
		t.Errorf("FreeBytes = %d, %v", n, err)
	}
	if _, err := FreeBytes("/no/such/dir/here"); err == nil {
		t.Error("no error for a missing folder")
	}
}

// TestTryLock: a second open of the file cannot take the lock while the
// first holds it (as a second process could not), and can once it is
// closed.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := open(), open()
	defer b.Close()
	if taken, err := TryLock(a); !taken || err != nil {
		t.Fatalf("first TryLock = %v, %v", taken, err)
	}
	if taken, err := TryLock(b); taken || err != nil {
		t.Fatalf("second TryLock while held = %v, %v; want false, nil", taken, err)
	}
	a.Close()
	if taken, err := TryLock(b); !taken || err != nil {
		t.Fatalf("TryLock after the holder closed = %v, %v", taken, err)
	}
}
