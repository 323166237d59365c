package swarm_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSeedRestart_Blake3CatchesMtimePreservedEdit: a restart trusts the
// files' stamps and seeds at once; the BLAKE3 pass behind it then catches
// an edit that kept the size and mtime, and re-checks only that file.
func TestSeedRestart_Blake3CatchesMtimePreservedEdit(t *testing.T) {
	src, root := payload(t, 33, testnet.File{Path: "keep.bin", Size: 100_000}, testnet.File{Path: "edit.bin", Size: 8 * changedPieceLen})
	edit := filepath.Join(root, "edit.bin")
	tor := testnet.Create(t, root, changedPieceLen)
	state := t.TempDir()
	s1, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	ih, err := s1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s1, ih, 5*time.Second)
	stop()

	st, err := os.Stat(edit)
	if err != nil {
		t.Fatal(err)
	}
	b := must(os.ReadFile(edit))
	b[50_000] ^= 0x01
	rewrite(t, edit, b, st.ModTime()) // same size, mtime put back

	s2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s2, ih); ts.State != swarm.StateSeeding || ts.DoneBytes != tor.Info.Length {
		t.Fatalf("not ready from the stamps at once: %v, %d of %d", ts.State, ts.DoneBytes, tor.Info.Length)
	}
	first, end := tor.Info.PiecesOf(fileIndex(t, tor.Info, "edit.bin"))
	ev := waitEvent(t, s2, 10*time.Second, "from the BLAKE3 pass", dataChanged("no longer match"))
	if want := fmt.Sprintf("edit.bin changed on disk: 1 of %d pieces", end-first); !strings.Contains(ev.Msg, want) {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	if n := swarm.PiecesChecked(s2, ih); n != int64(end-first) {
		t.Errorf("%d pieces hashed; want only edit.bin's %d", n, end-first)
	}
	if got := must(os.ReadFile(edit)); !bytes.Equal(got, b) {
		t.Error("the seed wrote over the user's edited file")
	}

	// Restarted again: the edit is remembered, so the lost piece is not
	// wanted (nothing to fetch over the user's file) and the rest is served
	// at once; only the lost piece is hashed again, in case the edit was
	// undone meanwhile.
	stop2()
	s3 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := s3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	ev = waitEvent(t, s3, 5*time.Second, "at add", dataChanged("no longer match"))
	if want := fmt.Sprintf("edit.bin changed on disk: 1 of %d pieces", end-first); !strings.Contains(ev.Msg, want) {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	lostPiece := int((tor.Info.Files[fileIndex(t, tor.Info, "edit.bin")].Offset + 50_000) / changedPieceLen)
	ts, _ := testnet.Find(s3, ih)
	if ts.State != swarm.StateSeeding || ts.DoneBytes != ts.WantedBytes || ts.WantedBytes != tor.Info.Length-changedPieceLen ||
		ts.Pieces[lostPiece] != swarm.PieceSkipped {
		t.Errorf("second restart: state %v, done %d, wanted %d, piece %d %v", ts.State, ts.DoneBytes, ts.WantedBytes, lostPiece, ts.Pieces[lostPiece])
	}
	if n := swarm.PiecesChecked(s3, ih); n != 1 {
		t.Errorf("%d pieces hashed at the second restart; want the lost one", n)
	}
}

// TestSeedRestart_ShutdownDuringBlake3 stops a session while its BLAKE3
// pass runs: the pass ends with it (goleak checks nothing is left).
func TestSeedRestart_ShutdownDuringBlake3(t *testing.T) {
	src, root := payload(t, 34, testnet.File{Path: "a.bin", Size: 1 << 20}, testnet.File{Path: "b.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 64<<10)
	state := t.TempDir()
	s1, stop1 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	ih, err := s1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s1, ih, 5*time.Second)
	stop1()

	started := make(chan struct{})
	var calls int
	swarm.SetDigestHook(func(ctx context.Context, file int) {
		if calls++; calls == 1 {
			close(started)
			<-ctx.Done() // the pass is under way when the session stops
		}
	})
	t.Cleanup(func() { swarm.SetDigestHook(nil) })
	s2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the BLAKE3 pass did not start")
	}
	stopped := make(chan struct{})
	go func() { stop2(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waits for the BLAKE3 pass")
	}
	if calls != 1 {
		t.Errorf("the pass went on to %d files after shutdown", calls)
	}
}
