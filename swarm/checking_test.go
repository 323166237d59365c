package swarm_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// holdCheck makes s's data checks stop at their first progress count
// until the returned release is called; reached is closed when one has.
func holdCheck(t *testing.T, s *swarm.Session) (reached <-chan struct{}, release func()) {
	r, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	swarm.SetCheckHook(s, func(done, total int) {
		once.Do(func() { close(r); <-gate })
	})
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	return r, release
}

// copyTree puts the payload at root into dir/name, as files shoal did not
// write: adding it checks every piece.
func copyTree(t *testing.T, root, dir string) {
	t.Helper()
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(root), p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A torrent whose files are on disk says it is checking them, with the
// count so far, while Add waits; commands reach it meanwhile.
func TestChecking_ShownWhileAddChecks(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 31, testnet.File{Path: "a.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10)
	dst := t.TempDir()
	copyTree(t, root, dst)
	s := testnet.StartSession(t, swarm.Config{})
	reached, release := holdCheck(t, s)
	added := make(chan error, 1)
	go func() {
		_, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
		added <- err
	}()
	select {
	case <-reached:
	case err := <-added:
		t.Fatalf("Add returned (%v) before the check counted a piece", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the check never started")
	}
	ts := testnet.WaitFor(t, s, tor.InfoHash, 10*time.Second, "checking with progress", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateChecking && ts.CheckDone >= 1 && ts.CheckTotal == tor.Info.NumPieces()
	})
	if p := ts.CheckProgress(); p <= 0 || p >= 1 {
		t.Errorf("CheckProgress = %v mid-check", p)
	}
	// The torrent's goroutine is not the one hashing: it answers.
	if err := s.Pause(tor.InfoHash); err != nil {
		t.Fatalf("Pause while checking: %v", err)
	}
	release()
	select {
	case err := <-added:
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Add did not return after the check")
	}
	testnet.WaitFor(t, s, tor.InfoHash, 10*time.Second, "paused after the check", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StatePaused && ts.DoneBytes == tor.Info.Length
	})
	if err := s.Resume(tor.InfoHash); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, tor.InfoHash, 10*time.Second)
}

// A magnet whose data is already on disk checks it after the metadata
// arrives, on a worker: the torrent's goroutine answers commands and
// publishes StateChecking meanwhile, then seeds without downloading.
func TestChecking_MagnetOpensOffTheLoop(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 32, testnet.File{Path: "a.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	dst := t.TempDir()
	copyTree(t, root, dst)
	l := testnet.StartSession(t, swarm.Config{})
	reached, release := holdCheck(t, l)
	if _, err := l.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: dst,
		Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the check never started")
	}
	testnet.WaitFor(t, l, ih, 10*time.Second, "checking", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateChecking && ts.CheckTotal == tor.Info.NumPieces() && ts.Name == "payload"
	})
	time.Sleep(6 * time.Second) // past the grace before a torrent counts as stalled
	if ts, _ := testnet.Find(l, ih); ts.State != swarm.StateChecking || ts.Stall != swarm.StallNone {
		t.Errorf("while checking: state %v, stall %v (%q)", ts.State, ts.Stall, ts.Stalled)
	}
	done := make(chan error, 1)
	go func() { done <- l.SetFilePriority(ih, 0, swarm.PriorityHigh) }()
	select {
	case err := <-done:
		// The metadata is in, the content is not: a file priority has
		// nothing to apply to yet, and says so rather than wait.
		if err == nil {
			t.Error("SetFilePriority succeeded before the content opened")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a command waited for the check")
	}
	release()
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	if ts.Downloaded != 0 {
		t.Errorf("downloaded %d bytes of data that was on disk", ts.Downloaded)
	}
}

// TestChecking_FirstRecordOffTheLoop: once a magnet's data is opened, the
// resume record saved before the first write (a synced write) is the open
// worker's, not the loop's: held there, commands are still answered. It
// used to be written by adopt on the loop, which a slow disk then stopped.
func TestChecking_FirstRecordOffTheLoop(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 33, testnet.File{Path: "a.bin", Size: 256 << 10})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{StateDir: t.TempDir()})
	reached, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	swarm.SetResumeHook(l, func() {
		once.Do(func() {
			close(reached)
			<-hold
		})
	})
	var released sync.Once
	release := func() { released.Do(func() { close(hold) }) }
	t.Cleanup(release)
	dst := t.TempDir()
	if _, err := l.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: dst,
		Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("no resume record was saved")
	}
	done := make(chan error, 1)
	go func() { done <- l.SetFilePriority(ih, 0, swarm.PriorityHigh) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a command waited for the first resume record")
	}
	release()
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
