package swarm_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// createFormat makes a torrent of path in format, round-tripped through
// its bytes as a user's .torrent file would be.
func createFormat(t *testing.T, path string, format pieces.Format) *pieces.Torrent {
	t.Helper()
	tor, err := pieces.Create(t.Context(), path, pieces.CreateOptions{PieceLength: 16 << 10, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	tor, err = pieces.Parse(tor.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

// folderState is each regular file's SHA-256 and mtime, and each link's
// target, under root.
func folderState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[p] = "link to " + target
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[p] = fmt.Sprintf("%s %x", fi.ModTime().Format(time.RFC3339Nano), sha256.Sum256(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: %d entries before, %d after", what, len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s changed", what, k)
		}
	}
}

// hadEvent waits for the torrent's already-had event; nil if none came
// before the torrent completed or the timeout.
func hadEvent(t *testing.T, s *swarm.Session, ih swarm.InfoHash, timeout time.Duration) *swarm.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-s.Events():
			if ev.InfoHash != ih {
				continue
			}
			switch ev.Kind {
			case swarm.EventAlreadyHad:
				return &ev
			case swarm.EventError:
				t.Fatalf("error event: %s", ev.Msg)
			}
		case <-deadline:
			return nil
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A v2 torrent whose one file is in a --reuse folder completes with no
// peer at all, and the folder is left as it was.
func TestReuse_V2FromFolderWithoutPeers(t *testing.T) {
	t.Parallel()
	_, root := payload(t, 41, testnet.File{Path: "movie.mkv", Size: 600_000})
	tor := createFormat(t, root, pieces.FormatV2)
	reuse := t.TempDir()
	copyFile(t, filepath.Join(root, "movie.mkv"), filepath.Join(reuse, "old", "film.mkv"))
	outside := t.TempDir()
	copyFile(t, filepath.Join(root, "movie.mkv"), filepath.Join(outside, "film.mkv"))
	os.Symlink(filepath.Join(outside, "film.mkv"), filepath.Join(reuse, "link.mkv"))
	before := folderState(t, reuse)
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Reuse: swarm.ReuseOptions{Dirs: []string{reuse}}})
	ih := tor.InfoHash
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Downloaded != 0 {
		t.Errorf("downloaded %d bytes", ts.Downloaded)
	}
	ev := hadEvent(t, l, ih, 10*time.Second)
	if ev == nil || ev.Had == nil || *ev.Had != (swarm.Had{Files: 1, OfFiles: 1, Bytes: 600_000, Reused: 1}) {
		t.Fatalf("already-had event: %+v", ev)
	}
	if want := "already had 1 of 1 files (585.9 KiB): 1 put in place from files shoal found"; ev.Msg != want {
		t.Errorf("msg %q, want %q", ev.Msg, want)
	}
	sameState(t, "reuse folder", before, folderState(t, reuse))
}

// A link in the reuse folder to a file outside it is not followed: with
// no other source, nothing is placed.
func TestReuse_LinkOutOfFolderNotFollowed(t *testing.T) {
	t.Parallel()
	_, root := payload(t, 42, testnet.File{Path: "a.bin", Size: 100_000})
	tor := createFormat(t, root, pieces.FormatV2)
	outside := t.TempDir()
	copyFile(t, filepath.Join(root, "a.bin"), filepath.Join(outside, "a.bin"))
	reuse := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "a.bin"), filepath.Join(reuse, "a.bin")); err != nil {
		t.Fatal(err)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Reuse: swarm.ReuseOptions{Dirs: []string{reuse}}})
	ts := testnet.WaitFor(t, l, tor.InfoHash, 30*time.Second, "open", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateDownloading
	})
	if ts.DoneBytes != 0 {
		t.Errorf("%d bytes done through a link out of the reuse folder", ts.DoneBytes)
	}
	if _, err := os.Lstat(filepath.Join(dst, "payload", "a.bin")); err == nil {
		t.Error("a.bin was placed")
	}
}

// A shoal v1 torrent (with BLAKE3 digests) finds a file by its digest;
// the other file, and the pieces the two share, come from the seed.
func TestReuse_V1ByBlake3(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 43, testnet.File{Path: "a.bin", Size: 1<<20 + 5000}, testnet.File{Path: "b.bin", Size: 70_000})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	reuse := t.TempDir()
	copyFile(t, filepath.Join(root, "a.bin"), filepath.Join(reuse, "a-copy.bin"))
	// A file as long as b.bin with other bytes is not used.
	wrong, _ := os.ReadFile(filepath.Join(root, "b.bin"))
	wrong[100] ^= 0xff
	os.WriteFile(filepath.Join(reuse, "b-lookalike.bin"), wrong, 0o644)
	before := folderState(t, reuse)
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()},
		Reuse: swarm.ReuseOptions{Dirs: []string{reuse}}})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	// a.bin's pieces but its last were here; b.bin and the piece it
	// shares with a.bin were fetched.
	if ts.Downloaded >= 1<<20 || ts.Downloaded < 70_000 {
		t.Errorf("downloaded %d bytes, want b.bin's and a shared piece's", ts.Downloaded)
	}
	sameState(t, "reuse folder", before, folderState(t, reuse))
}

// A session seeding torrent A gets the files torrent B shares with it
// without the network, and A's folder is left as it was.
func TestReuse_FromSessionLibrary(t *testing.T) {
	t.Parallel()
	srcA, rootA := payload(t, 44, testnet.File{Path: "shared.iso", Size: 300_000}, testnet.File{Path: "sub/x.bin", Size: 200_000},
		testnet.File{Path: "only-a.txt", Size: 10})
	torA := createFormat(t, rootA, pieces.FormatHybrid)
	rootB := filepath.Join(t.TempDir(), "b-set")
	copyFile(t, filepath.Join(rootA, "shared.iso"), filepath.Join(rootB, "same.iso"))
	copyFile(t, filepath.Join(rootA, "sub", "x.bin"), filepath.Join(rootB, "deeper", "x.bin"))
	torB := createFormat(t, rootB, pieces.FormatV2)

	s := testnet.StartSession(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: torA, Dir: srcA, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	before := folderState(t, srcA)
	dst := leech(t, s, swarm.AddOptions{Torrent: torB})
	ts := testnet.WaitComplete(t, s, torB.InfoHash, 30*time.Second)
	testnet.SameTree(t, rootB, filepath.Join(dst, "b-set"))
	if ts.Downloaded != 0 {
		t.Errorf("downloaded %d bytes", ts.Downloaded)
	}
	ev := hadEvent(t, s, torB.InfoHash, 10*time.Second)
	if ev == nil || ev.Had == nil || *ev.Had != (swarm.Had{Files: 2, OfFiles: 2, Bytes: 500_000, Reused: 2}) {
		t.Fatalf("already-had event: %+v", ev)
	}
	sameState(t, "A's folder", before, folderState(t, srcA))
}

// A library file edited since its torrent verified it is placed (its
// torrent vouches for it), fails its piece check, and the bad piece is
// fetched into the new copy, never into the library's file.
func TestReuse_EditedLibraryFileFetched(t *testing.T) {
	t.Parallel()
	srcA, rootA := payload(t, 45, testnet.File{Path: "shared.iso", Size: 300_000}, testnet.File{Path: "edited.bin", Size: 200_000})
	torA := createFormat(t, rootA, pieces.FormatHybrid)
	srcB := t.TempDir()
	rootB := filepath.Join(srcB, "b-set")
	copyFile(t, filepath.Join(rootA, "shared.iso"), filepath.Join(rootB, "same.iso"))
	copyFile(t, filepath.Join(rootA, "edited.bin"), filepath.Join(rootB, "e.bin"))
	torB := createFormat(t, rootB, pieces.FormatV2)
	sB, _ := seed(t, srcB, torB, swarm.Config{})

	s := testnet.StartSession(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: torA, Dir: srcA, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(rootA, "edited.bin")
	b, _ := os.ReadFile(edited)
	b[50_000] ^= 1 // the user edits A's file; A has not looked yet
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := folderState(t, srcA)
	dst := leech(t, s, swarm.AddOptions{Torrent: torB, Peers: []string{sB.Addr().String()}})
	ts := testnet.WaitComplete(t, s, torB.InfoHash, 30*time.Second)
	testnet.SameTree(t, rootB, filepath.Join(dst, "b-set"))
	if ts.Downloaded == 0 || ts.Downloaded > 100_000 {
		t.Errorf("downloaded %d bytes, want the edited piece of e.bin only", ts.Downloaded)
	}
	ev := hadEvent(t, s, torB.InfoHash, 10*time.Second)
	if ev == nil || ev.Had == nil || *ev.Had != (swarm.Had{Files: 1, OfFiles: 2, Bytes: 300_000, Reused: 1}) {
		t.Fatalf("already-had event: %+v", ev)
	}
	sameState(t, "A's folder", before, folderState(t, srcA))
}

// With Link, a library file is hard-linked only once hashed: an edited
// one, which would join the new torrent's file to bytes that differ, is
// not linked (nor, then, placed).
func TestReuse_LinkOnlyHashedFiles(t *testing.T) {
	t.Parallel()
	srcA, rootA := payload(t, 46, testnet.File{Path: "good.bin", Size: 100_000}, testnet.File{Path: "edited.bin", Size: 100_001})
	torA := createFormat(t, rootA, pieces.FormatHybrid)
	rootB := filepath.Join(t.TempDir(), "b-set")
	copyFile(t, filepath.Join(rootA, "good.bin"), filepath.Join(rootB, "good.bin"))
	copyFile(t, filepath.Join(rootA, "edited.bin"), filepath.Join(rootB, "edited.bin"))
	torB := createFormat(t, rootB, pieces.FormatV2)
	s := testnet.StartSession(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: torA, Dir: srcA, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(rootA, "edited.bin"))
	b[7] ^= 1
	os.WriteFile(filepath.Join(rootA, "edited.bin"), b, 0o644)
	dst := leech(t, s, swarm.AddOptions{Torrent: torB, Reuse: swarm.ReuseOptions{Link: true}})
	ev := hadEvent(t, s, torB.InfoHash, 10*time.Second)
	if ev == nil || ev.Had == nil || *ev.Had != (swarm.Had{Files: 1, OfFiles: 2, Bytes: 100_000, Reused: 1}) {
		t.Fatalf("already-had event: %+v", ev)
	}
	src, _ := os.Stat(filepath.Join(rootA, "good.bin"))
	got, err := os.Stat(filepath.Join(dst, "b-set", "good.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// Where the file system makes reflinks, they come first.
	probe := filepath.Join(dst, "probe")
	os.WriteFile(probe, []byte("x"), 0o644)
	how, err := pieces.PlaceFile(t.Context(), dst, "probe-copy", probe, 1, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if linked := os.SameFile(src, got); linked != (how != pieces.PlacedReflink) {
		t.Errorf("good.bin hard-linked: %v, on a file system where PlaceFile makes a %v", linked, how)
	}
	if _, err := os.Stat(filepath.Join(dst, "b-set", "edited.bin")); err == nil {
		t.Error("the edited file was placed")
	}
}

// A file already at its path on a first download is counted as had, the
// same way, and only the rest is fetched.
func TestReuse_FileAtItsPathCounted(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 47, testnet.File{Path: "here.bin", Size: 64 << 10}, testnet.File{Path: "there.bin", Size: 64 << 10})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	dst := t.TempDir()
	copyFile(t, filepath.Join(root, "here.bin"), filepath.Join(dst, "payload", "here.bin"))
	l := testnet.StartSession(t, swarm.Config{StateDir: t.TempDir()})
	leech(t, l, swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	ev := hadEvent(t, l, ih, 10*time.Second)
	if ev == nil || ev.Had == nil || *ev.Had != (swarm.Had{Files: 1, OfFiles: 2, Bytes: 64 << 10}) {
		t.Fatalf("already-had event: %+v", ev)
	}
	if want := "already had 1 of 2 files (64.0 KiB)"; ev.Msg != want {
		t.Errorf("msg %q, want %q", ev.Msg, want)
	}
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Downloaded < 64<<10 || ts.Downloaded >= 128<<10 {
		t.Errorf("downloaded %d bytes, want there.bin's %d", ts.Downloaded, 64<<10)
	}
}
