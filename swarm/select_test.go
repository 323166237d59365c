package swarm_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSelect_StraddlingPieces: tiny files in 16 KiB pieces, so every
// skipped file shares pieces with wanted ones. The wanted files arrive
// byte for byte, the skipped ones never appear on disk (their part of the
// shared pieces sits in the part file), and selecting them later completes
// them from what is already there and from the seed.
func TestSelect_StraddlingPieces(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 31,
		testnet.File{Path: "a.txt", Size: 5000},
		testnet.File{Path: "b-skip.txt", Size: 7000},
		testnet.File{Path: "c.txt", Size: 9000},
		testnet.File{Path: "d-big.bin", Size: 70000},
		testnet.File{Path: "e-skip.txt", Size: 3},
		testnet.File{Path: "f.txt", Size: 6000},
	)
	tor := testnet.Create(t, root, 16<<10)
	for k, f := range tor.Info.Files {
		if want := []string{"a.txt", "b-skip.txt", "c.txt", "d-big.bin", "e-skip.txt", "f.txt"}[k]; f.Path[0] != want {
			t.Fatalf("file %d is %v, want %s", k, f.Path, want)
		}
	}
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	skip, norm := swarm.PrioritySkip, swarm.PriorityNormal
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()},
		Priorities: []swarm.Priority{norm, skip, norm, norm, skip, norm}})
	testnet.WaitFor(t, l, ih, 60*time.Second, "wanted files verified", func(ts swarm.TorrentSnapshot) bool {
		return ts.Verified
	})
	for _, name := range []string{"a.txt", "c.txt", "d-big.bin", "f.txt"} {
		sameFile(t, filepath.Join(root, name), filepath.Join(dst, "payload", name))
	}
	for _, name := range []string{"b-skip.txt", "e-skip.txt"} {
		if _, err := os.Lstat(filepath.Join(dst, "payload", name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("skipped %s is on disk (%v)", name, err)
		}
	}
	part := filepath.Join(dst, fmt.Sprintf(".shoal-%x.parts", ih[:]))
	if _, err := os.Stat(part); err != nil {
		t.Fatalf("no part file for the shared pieces: %v", err)
	}

	for _, f := range []int{1, 4} {
		if err := l.SetFilePriority(ih, f, norm); err != nil {
			t.Fatal(err)
		}
	}
	testnet.WaitFor(t, l, ih, 60*time.Second, "every file verified", func(ts swarm.TorrentSnapshot) bool {
		return ts.Verified && ts.DoneBytes == ts.SizeBytes
	})
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if _, err := os.Stat(part); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("part file left once no file is skipped: %v", err)
	}
}

func sameFile(t *testing.T, want, got string) {
	t.Helper()
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil || string(a) != string(b) {
		t.Fatalf("%s: %d bytes (%v), want the seed's %d", got, len(b), err, len(a))
	}
}

// TestSelect_MagnetSO: a magnet's so= (BEP 53) selects files once the
// metadata arrives from the seed, before any byte is written.
func TestSelect_MagnetSO(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 32,
		testnet.File{Path: "a.bin", Size: 40000},
		testnet.File{Path: "b.bin", Size: 30000},
		testnet.File{Path: "c.bin", Size: 50000},
	)
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	m, err := pieces.ParseMagnet(tor.Magnet() + "&so=0,2")
	if err != nil {
		t.Fatal(err)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Magnet: m, Peers: []string{s1.Addr().String()}})
	ts := testnet.WaitFor(t, l, ih, 60*time.Second, "selected files verified", func(ts swarm.TorrentSnapshot) bool {
		return ts.Verified
	})
	if len(ts.Files) != 3 || ts.Files[1].Priority != swarm.PrioritySkip || ts.Files[0].Priority != swarm.PriorityNormal {
		t.Fatalf("files after so=0,2: %+v", ts.Files)
	}
	sameFile(t, filepath.Join(root, "a.bin"), filepath.Join(dst, "payload", "a.bin"))
	sameFile(t, filepath.Join(root, "c.bin"), filepath.Join(dst, "payload", "c.bin"))
	if _, err := os.Lstat(filepath.Join(dst, "payload", "b.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("b.bin, not in so=, is on disk (%v)", err)
	}
}

// TestSelect_NoMatch: a selection naming no file fails the add with
// ErrBadSelection and creates nothing.
func TestSelect_NoMatch(t *testing.T) {
	t.Parallel()
	_, root := payload(t, 33, testnet.File{Path: "a.bin", Size: 4000})
	tor := testnet.Create(t, root, 16<<10)
	l := testnet.StartSession(t, swarm.Config{})
	dir := t.TempDir()
	_, err := l.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dir, Select: &pieces.Selection{Only: []string{"*.mkv"}}})
	if !errors.Is(err, pieces.ErrBadSelection) || !strings.Contains(err.Error(), `"*.mkv" matches no file`) {
		t.Fatalf("Add = %v, want ErrBadSelection naming the glob", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("download folder holds %d entries", len(ents))
	}
}

// TestSelect_BlockOfNewlySkippedFile: a block that arrives for a piece of a
// file skipped meanwhile is refused by storage (ErrNotShared); the torrent
// drops it quietly, with no error event and no pause as for a disk error.
func TestSelect_BlockOfNewlySkippedFile(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 34, testnet.File{Path: "f.bin", Size: 300_000})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	var refusals atomic.Int32
	refusals.Store(3)
	swarm.SetWriteErr(l, func() error {
		if refusals.Add(-1) >= 0 {
			return fmt.Errorf("payload/f.bin: piece 3: %w", pieces.ErrNotShared)
		}
		return nil
	})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	ts := testnet.WaitFor(t, l, ih, 60*time.Second, "verified", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	for len(l.Events()) > 0 {
		if ev := <-l.Events(); ev.Kind == swarm.EventError || ev.Kind == swarm.EventDiskFull {
			t.Errorf("event %v: %s", ev.Kind, ev.Msg)
		}
	}
	if ts.Stall == swarm.StallDiskFull {
		t.Error("stalled as for a full disk")
	}
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

// TestSelect_ChosenLaterGetsItsDigestChecked: a file chosen after the
// torrent was verified is checked against its BLAKE3 digest once it
// completes, and only it: before, the torrent said verified again with no
// BLAKE3 pass at all.
func TestSelect_ChosenLaterGetsItsDigestChecked(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 35,
		testnet.File{Path: "a.bin", Size: 100_000},
		testnet.File{Path: "b.bin", Size: 50_000},
		testnet.File{Path: "c.bin", Size: 70_000},
	)
	tor := testnet.Create(t, root, 16<<10) // with BLAKE3 digests
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	skip, norm := swarm.PrioritySkip, swarm.PriorityNormal
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()},
		Priorities: []swarm.Priority{norm, skip, norm}})
	verified := func(what string) swarm.Event {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case ev := <-l.Events():
				if ev.InfoHash != ih {
					continue
				}
				switch ev.Kind {
				case swarm.EventVerified:
					return ev
				case swarm.EventError:
					t.Fatalf("%s: error event: %s", what, ev.Msg)
				}
			case <-deadline:
				t.Fatalf("%s: no EventVerified in 60s", what)
			}
		}
	}
	if ev := verified("a.bin and c.bin"); !strings.HasPrefix(ev.Msg, "2 files match") {
		t.Errorf("first pass: %q; want 2 files checked", ev.Msg)
	}
	if err := l.SetFilePriority(ih, 1, norm); err != nil {
		t.Fatal(err)
	}
	if ev := verified("b.bin"); !strings.HasPrefix(ev.Msg, "1 files match") {
		t.Errorf("after choosing b.bin: %q; want only it checked", ev.Msg)
	}
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
