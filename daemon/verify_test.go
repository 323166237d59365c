package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestVerify_ThroughSocketRefetchesCorruptPiece: a byte corrupted in a
// downloaded file, with its size and mtime kept (no stamp shows it), is
// found by verify through the control socket: the piece shows missing
// and the torrent unverified while paused, and once resumed the piece is
// fetched again from the seed and the file is the torrent's again.
func TestVerify_ThroughSocketRefetchesCorruptPiece(t *testing.T) {
	const pieceLen = 16 << 10
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	session := func() *swarm.Session {
		s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log, SampleEvery: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { s.Run(ctx) })
		return s
	}

	src := t.TempDir()
	data := make([]byte, 8*pieceLen)
	rand.Read(data)
	os.MkdirAll(filepath.Join(src, "set"), 0o755)
	os.WriteFile(filepath.Join(src, "set", "data.bin"), data, 0o644)
	tor, err := pieces.Create(ctx, filepath.Join(src, "set"), pieces.CreateOptions{PieceLength: pieceLen})
	if err != nil {
		t.Fatal(err)
	}
	seed := session()
	if _, err := seed.Add(ctx, swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}

	s := session()
	dl := t.TempDir()
	d, err := New(Config{Session: s, Library: &Library{Dir: t.TempDir()}, DownloadDir: dl, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { d.Run(ctx) })
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { Serve(ctx, ln, d.Handler(Local)) })
	c := Dial(sock)

	if _, err := d.Add(ctx, AddRequest{Source: tor.Magnet(seed.Addr().String())}, Local); err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	detail := func() Detail {
		dt, err := c.Detail(ctx, "1")
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	waitFor(t, "the download verified", 60*time.Second, func() bool { return detail().Torrent.Verified })
	if _, err := c.Pause(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	before := detail().Torrent

	path := filepath.Join(dl, "set", "data.bin")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{data[5*pieceLen+77] ^ 0xff}, 5*pieceLen+77)
	f.Close()
	os.Chtimes(path, fi.ModTime(), fi.ModTime()) // same size, same mtime: only hashing finds it

	if _, err := c.Verify(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the check to find piece 5 missing", 30*time.Second, func() bool {
		dt := detail()
		return dt.State == "paused" && dt.Torrent.Pieces[5] == swarm.PieceMissing
	})
	dt := detail()
	if dt.Torrent.Verified || dt.Torrent.DoneBytes != int64(len(data)-pieceLen) {
		t.Fatalf("after the check: verified %v, done %d bytes; want unverified, one piece short of %d", dt.Torrent.Verified, dt.Torrent.DoneBytes, len(data))
	}
	// The same torrent checked in place, not removed and added again: its
	// life and its counters go on.
	if !dt.Torrent.AddedAt.Equal(before.AddedAt) || dt.Torrent.Downloaded < before.Downloaded {
		t.Errorf("after the check: added %v, downloaded %d; before: added %v, downloaded %d",
			dt.Torrent.AddedAt, dt.Torrent.Downloaded, before.AddedAt, before.Downloaded)
	}
	for i, p := range dt.Torrent.Pieces {
		if i != 5 && p != swarm.PieceDone {
			t.Errorf("piece %d: %v after the check, want done", i, p)
		}
	}

	if _, err := c.Resume(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "piece 5 fetched again", 60*time.Second, func() bool { return detail().Torrent.Verified })
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("the file is not the torrent's after the re-fetch")
	}
	if ts := d.snapshotOf(ih); ts == nil || ts.Pieces[5] != swarm.PieceDone {
		t.Fatal("piece 5 not done after the re-fetch")
	}
}
