package swarm_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// Commands sent before Session.Run go through the torrent's goroutine like
// any other: a seed with a skipped file and a peer, asked to fetch that
// file before Run, used to run the command inline and dial with a nil
// context (a panic in dialOne). Now it answers, and fetches the file once
// the session runs.
func TestCommands_BeforeRun(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 7,
		testnet.File{Path: "a.bin", Size: 18 << 14}, // whole pieces: checking it needs no byte of b.bin
		testnet.File{Path: "b.bin", Size: 200_000},
	)
	tor := testnet.Create(t, root, 16<<10)
	seedS, _ := seed(t, src, tor, swarm.Config{})

	// The leecher has a.bin already and skips b.bin: it is a seed of what
	// it wants.
	dst := t.TempDir()
	a, err := os.ReadFile(filepath.Join(root, "a.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dst, "payload"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "payload", "a.bin"), a, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", Logger: testnet.Logger(t), SampleEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{seedS.Addr().String()},
		Priorities: []swarm.Priority{swarm.PriorityNormal, swarm.PrioritySkip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFilePriority(ih, 1, swarm.PriorityNormal); err != nil {
		t.Fatalf("SetFilePriority before Run: %v", err)
	}
	if err := s.Pause(ih); err != nil {
		t.Fatalf("Pause before Run: %v", err)
	}
	if err := s.Resume(ih); err != nil {
		t.Fatalf("Resume before Run: %v", err)
	}
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("session: %v", err)
		}
	})
	// Complete with b.bin wanted: the snapshot from before the command
	// showed a seed of a.bin alone.
	testnet.WaitFor(t, s, ih, 30*time.Second, "both files", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.WantedBytes == tor.Info.Length && ts.DoneBytes == ts.WantedBytes
	})
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

// A torrent removed before Run is gone, and Run still starts and stops.
func TestCommands_RemoveBeforeRun(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 8, testnet.File{Path: "a.bin", Size: 50_000})
	tor := testnet.Create(t, root, 16<<10)
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", Logger: testnet.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ih, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(ih); err == nil {
		t.Fatal("Pause of a removed torrent succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Snapshot().Torrents); n != 0 {
		t.Fatalf("%d torrents after Remove", n)
	}
}
