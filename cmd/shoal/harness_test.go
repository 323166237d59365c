package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
)

// syncBuffer is a bytes.Buffer that a running command writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shoalRun runs one command to its end, as a user would from a shell.
// It is bounded: a command that waits forever (a get no peer can serve)
// fails its own test, with what it printed, instead of hanging the
// package until go test's timeout hides which test it was.
func shoalRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), shoalRunLimit)
	defer cancel()
	var out, errb syncBuffer
	code = run(ctx, args, &out, &errb)
	if ctx.Err() == context.DeadlineExceeded {
		t.Errorf("shoal %v still running after %v; stopped it\nstdout:\n%s\nstderr:\n%s", args, shoalRunLimit, out.String(), errb.String())
	}
	return code, out.String(), errb.String()
}

const shoalRunLimit = 3 * time.Minute

// proc is a command running in the background, such as a seed.
type proc struct {
	out, err syncBuffer
	code     int
	done     chan struct{}
	stop     context.CancelFunc
}

// shoalStart starts a long-running command; the test's cleanup stops it
// as Ctrl-C would and waits for it.
func shoalStart(t *testing.T, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{done: make(chan struct{}), stop: cancel}
	go func() {
		defer close(p.done)
		p.code = run(ctx, args, &p.out, &p.err)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("shoal %v did not stop within 10s of Ctrl-C", args)
		}
	})
	return p
}

// waitFor waits for a line of stdout matching re and returns its groups.
func (p *proc) waitFor(t *testing.T, re string, timeout time.Duration) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			t.Fatalf("command exited with %d before printing %q\nstdout:\n%s\nstderr:\n%s", p.code, re, p.out.String(), p.err.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no line matching %q within %v\nstdout:\n%s\nstderr:\n%s", re, timeout, p.out.String(), p.err.String())
	return nil
}

// writeTree writes files of the given sizes with deterministic random
// content under dir.
// createTorrent runs `shoal create DATA -o TORRENT ARGS...` as a user
// would, and fails the test if it does not exit 0.
func createTorrent(t *testing.T, data, torrent string, args ...string) {
	t.Helper()
	if code, _, errs := shoalRun(t, append([]string{"create", data, "-o", torrent}, args...)...); code != 0 {
		t.Fatalf("create %s: exit %d: %s", data, code, errs)
	}
}

func writeTree(t *testing.T, dir string, sizes map[string]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(sizes)), 7))
	for name, n := range sizes {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sameTree fails the test unless every file under want is byte-for-byte
// the same under got, and got holds nothing else.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	testnet.SameTree(t, want, got)
}

// jsonField returns the string value of the last "key":"..." in out (the
// --json lines of a command), or "".
func jsonField(out, key string) string {
	ms := regexp.MustCompile(`"`+key+`":"([^"]*)"`).FindAllStringSubmatch(out, -1)
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1][1]
}
