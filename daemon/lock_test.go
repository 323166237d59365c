package daemon

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestLock_SecondDaemonRefused: a second daemon on the same state dir is
// told which process holds it; once that one lets go, it may start.
func TestLock_SecondDaemonRefused(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "another shoal daemon") {
		t.Fatalf("second Lock: %v; want a LockedError naming PID %d", err, os.Getpid())
	}
	release()
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	again()
}
