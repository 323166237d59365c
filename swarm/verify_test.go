package swarm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestVerify_CorruptPieceMissingThenFetched: a byte corrupted on disk with
// the file's size and mtime kept (no stamp shows it) is found by Verify:
// the piece is missing, the torrent not verified, and once resumed the
// piece is fetched again and the bytes are the torrent's.
func TestVerify_CorruptPieceMissingThenFetched(t *testing.T) {
	const pieceLen = 16 << 10
	src, root := payload(t, 43, testnet.File{Path: "v.bin", Size: 10 * pieceLen}, testnet.File{Path: "w.bin", Size: 3000})
	tor := testnet.Create(t, root, pieceLen)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{StateDir: t.TempDir()})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	testnet.WaitFor(t, l, ih, 30*time.Second, "verified", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	if err := l.Pause(ih); err != nil { // so the lost piece stays missing until we look
		t.Fatal(err)
	}

	path := filepath.Join(dst, "payload", "v.bin")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b := must(os.ReadFile(path))
	b[4*pieceLen+123] ^= 0x55
	rewrite(t, path, b, fi.ModTime()) // same size, same mtime

	if err := l.Verify(ih); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, l, 30*time.Second, "about the check", func(ev swarm.Event) bool { return ev.Kind == swarm.EventChecked })
	if want := "checked: 10 of 11 pieces match; 1 no longer do"; !strings.HasPrefix(ev.Msg, want) {
		t.Errorf("event %q; want it to start %q", ev.Msg, want)
	}
	ts, _ := testnet.Find(l, ih)
	if ts.Pieces[4] != swarm.PieceMissing || ts.Verified || ts.DoneBytes != tor.Info.Length-pieceLen {
		t.Fatalf("after the check: piece 4 %v, verified %v, done %d of %d", ts.Pieces[4], ts.Verified, ts.DoneBytes, tor.Info.Length)
	}
	for i, p := range ts.Pieces {
		if i != 4 && p != swarm.PieceDone {
			t.Errorf("piece %d: %v after the check, want done", i, p)
		}
	}

	if err := l.Resume(ih); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, l, ih, 30*time.Second, "verified again", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if got := must(os.ReadFile(path)); bytes.Equal(got, b) {
		t.Fatal("the corrupt byte is still there")
	}
}

// TestVerify_IntactSeedStaysSeeding: a check of intact data finds every
// piece, and the seed is verified and serves again.
func TestVerify_IntactSeedStaysSeeding(t *testing.T) {
	src, root := payload(t, 44, testnet.File{Path: "i.bin", Size: 100_000})
	tor := testnet.Create(t, root, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitFor(t, s, ih, 30*time.Second, "verified", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	if err := s.Verify(ih); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, s, 30*time.Second, "about the check", func(ev swarm.Event) bool { return ev.Kind == swarm.EventChecked })
	if want := "checked: 7 of 7 pieces match"; ev.Msg != want {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding, verified", func(ts swarm.TorrentSnapshot) bool {
		return ts.Verified && ts.State == swarm.StateSeeding
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
