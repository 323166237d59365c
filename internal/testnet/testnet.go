// Package testnet runs real shoal sessions, trackers and payloads on
// loopback for tests. Everything binds 127.0.0.1:0 and lives in t.TempDir.
package testnet

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testrun"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Logger logs to the test's output, so logs show only for failing tests.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// StartSession starts a Session on 127.0.0.1:0 that runs until the test
// ends; cleanup waits for Run to return.
func StartSession(t testing.TB, cfg swarm.Config) *swarm.Session {
	t.Helper()
	s, _ := StartStoppable(t, cfg)
	return s
}

// StartStoppable is StartSession plus a stop func that ends the session
// and waits for Run to return (as a restart test needs).
func StartStoppable(t testing.TB, cfg swarm.Config) (*swarm.Session, func()) {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger(t)
	}
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 100 * time.Millisecond
	}
	s, err := swarm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, testrun.Go(t, "session", s.Run)
}

// File is one file of a payload: a slash-separated path under the root
// and a size.
type File struct {
	Path string
	Size int
}

// WriteTree writes files with pseudo-random content (seeded by seed) under
// root and returns root.
func WriteTree(t testing.TB, root string, seed uint64, files ...File) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, f.Size)
		for i := 0; i+8 <= len(b); i += 8 {
			v := rng.Uint64()
			for k := range 8 {
				b[i+k] = byte(v >> (8 * k))
			}
		}
		for i := len(b) &^ 7; i < len(b); i++ {
			b[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Create makes a torrent of path with the given piece length.
func Create(t testing.TB, path string, pieceLen int64, trackers ...string) *pieces.Torrent {
	t.Helper()
	tor, err := pieces.Create(context.Background(), path, pieces.CreateOptions{PieceLength: pieceLen, Trackers: trackers})
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip through bytes, as a user's .torrent file would.
	tor2, err := pieces.Parse(tor.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return tor2
}

// Find returns the torrent's entry in the session's latest snapshot.
func Find(s *swarm.Session, ih swarm.InfoHash) (swarm.TorrentSnapshot, bool) {
	for _, ts := range s.Snapshot().Torrents {
		if ts.InfoHash == ih {
			return ts, true
		}
	}
	return swarm.TorrentSnapshot{}, false
}

// WaitFor polls the session's snapshots until cond holds or the timeout
// passes, then fails the test with the last snapshot.
func WaitFor(t testing.TB, s *swarm.Session, ih swarm.InfoHash, timeout time.Duration, what string, cond func(swarm.TorrentSnapshot) bool) swarm.TorrentSnapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ts, ok := Find(s, ih)
		if ok && cond(ts) {
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: state %v stalled %q done %d/%d peers %d err %q",
				timeout, what, ts.State, ts.Stalled, ts.DoneBytes, ts.WantedBytes, ts.PeersConnected, ts.Err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitComplete waits until the torrent seeds (every wanted piece verified).
func WaitComplete(t testing.TB, s *swarm.Session, ih swarm.InfoHash, timeout time.Duration) swarm.TorrentSnapshot {
	t.Helper()
	return WaitFor(t, s, ih, timeout, "completion", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.WantedBytes > 0 && ts.DoneBytes == ts.WantedBytes
	})
}

// SameTree fails the test unless every regular file under want exists under
// got with the same bytes (and got has no extra files).
func SameTree(t testing.TB, want, got string) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		seen[rel] = true
		a, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs (%d vs %d bytes)", rel, len(a), len(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Fatalf("no files under %s: nothing to compare", want)
	}
	filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if rel, _ := filepath.Rel(got, p); !seen[rel] {
				t.Errorf("unexpected file %s", rel)
			}
		}
		return nil
	})
}
