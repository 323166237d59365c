package swarm_test

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

func TestDisk_FullPausesThenRecovers(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 18, testnet.File{Path: "f.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	var full atomic.Bool
	full.Store(true)
	swarm.SetWriteErr(l, func() error {
		if full.Load() {
			return &os.PathError{Op: "write", Path: "f.bin", Err: syscall.ENOSPC}
		}
		return nil
	})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	ts := testnet.WaitFor(t, l, ih, 10*time.Second, "disk full", func(ts swarm.TorrentSnapshot) bool {
		return ts.Stalled == "disk full" && ts.Stall == swarm.StallDiskFull
	})
	if ts.DoneBytes != 0 {
		t.Fatalf("%d bytes marked done while no write succeeded", ts.DoneBytes)
	}
	sawEvent := false
	for len(l.Events()) > 0 {
		if ev := <-l.Events(); ev.Kind == swarm.EventDiskFull {
			sawEvent = true
		}
	}
	if !sawEvent {
		t.Error("no EventDiskFull")
	}
	full.Store(false) // space freed: the retry (every few seconds) resumes
	ts = testnet.WaitFor(t, l, ih, 30*time.Second, "everything", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.DoneBytes == ts.SizeBytes
	})
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

func TestBlake3_VerifiedEvent(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 19, testnet.File{Path: "v1", Size: 200_000}, testnet.File{Path: "v2", Size: 3})
	tor := testnet.Create(t, root, 16<<10) // Create adds BLAKE3 digests
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-l.Events():
			if ev.InfoHash != ih {
				continue
			}
			switch ev.Kind {
			case swarm.EventVerified:
				return
			case swarm.EventError:
				t.Fatalf("error event: %s", ev.Msg)
			}
		case <-deadline:
			t.Fatal("no EventVerified")
		}
	}
}

func TestPriority_SkippedFileNotFetched(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 20, testnet.File{Path: "want.bin", Size: 512 << 10}, testnet.File{Path: "zskip.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()},
		Priorities: []swarm.Priority{swarm.PriorityNormal, swarm.PrioritySkip}})
	ts := testnet.WaitFor(t, l, ih, 30*time.Second, "wanted files done", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.DoneBytes == ts.WantedBytes
	})
	if ts.WantedBytes != 512<<10 || ts.Downloaded >= 1<<20 {
		t.Fatalf("wanted %d, downloaded %d: the skipped file was fetched", ts.WantedBytes, ts.Downloaded)
	}
	a, _ := os.ReadFile(filepath.Join(root, "want.bin"))
	b, _ := os.ReadFile(filepath.Join(dst, "payload", "want.bin"))
	if string(a) != string(b) {
		t.Fatal("wanted file differs")
	}
	// Unskip: the rest follows.
	if err := l.SetFilePriority(ih, 1, swarm.PriorityNormal); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, l, ih, 30*time.Second, "everything", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.DoneBytes == ts.SizeBytes
	})
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
