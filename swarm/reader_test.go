package swarm_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// slowSwarm is a seed capped at upBps and a leecher of one file of size
// bytes in 16 KiB pieces; it returns the file's bytes.
func slowSwarm(t *testing.T, size int, upBps int64, add swarm.AddOptions) (leech *swarm.Session, ih swarm.InfoHash, tor *pieces.Torrent, want []byte) {
	t.Helper()
	src := t.TempDir()
	testnet.WriteTree(t, src, 7, testnet.File{Path: "movie.bin", Size: size})
	tor = testnet.Create(t, filepath.Join(src, "movie.bin"), 16<<10)
	want, err := os.ReadFile(filepath.Join(src, "movie.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s1, ih := seed(t, src, tor, swarm.Config{UpLimitBps: upBps})
	leech = testnet.StartSession(t, swarm.Config{})
	add.Torrent, add.Dir, add.Peers = tor, t.TempDir(), []string{s1.Addr().String()}
	if _, err := leech.Add(t.Context(), add); err != nil {
		t.Fatal(err)
	}
	return leech, ih, tor, want
}

func count(held []bool) int {
	n := 0
	for _, h := range held {
		if h {
			n++
		}
	}
	return n
}

func TestReader_MiddleFirst(t *testing.T) {
	// 8 MiB from a seed sending 512 KiB/s: the whole takes 16 s. Two
	// readers, in the middle and near the end, get exactly their bytes
	// while most of the file is still missing.
	const size = 8 << 20
	s, ih, tor, want := slowSwarm(t, size, 512<<10, swarm.AddOptions{})
	var wg sync.WaitGroup
	for _, off := range []int64{size/2 + 777, size - 300_000} {
		wg.Go(func() {
			rd, err := s.NewReader(t.Context(), ih, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer rd.Close()
			rd.SetReadahead(64 << 10)
			if _, err := rd.Seek(off, io.SeekStart); err != nil {
				t.Error(err)
				return
			}
			got := make([]byte, 100_000)
			if _, err := io.ReadFull(rd, got); err != nil {
				t.Errorf("read at %d: %v", off, err)
				return
			}
			held := swarm.Held(s, ih)
			if !bytes.Equal(got, want[off:off+int64(len(got))]) {
				t.Errorf("read at %d: wrong bytes", off)
			}
			if mid := int(off / tor.Info.PieceLength); !held[mid] {
				t.Errorf("piece %d under the read is not verified", mid)
			}
			// Without deadlines, rarest-first reaches these pieces with
			// most of the file (474 and 506 pieces of 512, seen).
			if n := count(held); n >= len(held)/2 {
				t.Errorf("read at %d returned once %d of %d pieces were verified: the pieces under it did not go first", off, n, len(held))
			} else {
				t.Logf("read at %d done with %d of %d pieces verified", off, n, len(held))
			}
		})
	}
	wg.Wait()
	if n, err := s.Readers(ih); err != nil || n != 0 {
		t.Errorf("Readers = %d, %v after both closed; want 0", n, err)
	}
}

func TestReader_CloseFreesPriorities(t *testing.T) {
	// No seed at all: reads wait, and closing gives the deadlines up.
	src := t.TempDir()
	testnet.WriteTree(t, src, 3, testnet.File{Path: "a.bin", Size: 1 << 20})
	tor := testnet.Create(t, filepath.Join(src, "a.bin"), 16<<10)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// A read whose context ends returns no byte.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	rd1, err := s.NewReader(ctx, ih, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := rd1.ReadAt(make([]byte, 10), 500_000); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadAt with nothing verified = %d, %v; want 0, deadline exceeded", n, err)
	}
	// Another reader waits in Read until Close.
	rd2, err := s.NewReader(t.Context(), ih, 0)
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := rd2.Read(make([]byte, 10))
		readErr <- err
	}()
	waitReaders(t, s, ih, 2)
	if d := swarm.Deadlines(s, ih); d == 0 {
		t.Fatal("two readers set no deadline")
	}
	rd2.Close()
	if err := <-readErr; err == nil {
		t.Fatal("Read returned no error when its Reader closed")
	}
	rd1.Close()
	waitReaders(t, s, ih, 0)
	if d := swarm.Deadlines(s, ih); d != 0 {
		t.Fatalf("%d pieces keep deadlines after every reader closed", d)
	}
	if _, err := rd1.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
}

func waitReaders(t *testing.T, s *swarm.Session, ih swarm.InfoHash, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := s.Readers(ih)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Readers = %d, want %d", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReader_NeverUnverified(t *testing.T) {
	// A seed that flips every bit it sends: blocks arrive and are written,
	// pieces fail, and a reader gets nothing.
	src := t.TempDir()
	testnet.WriteTree(t, src, 5, testnet.File{Path: "a.bin", Size: 256 << 10})
	tor := testnet.Create(t, filepath.Join(src, "a.bin"), 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	swarm.SetCorruptUploads(s1)
	s2 := testnet.StartSession(t, swarm.Config{})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir(), Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	rd, err := s2.NewReader(ctx, ih, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := make(chan int, 1)
	go func() {
		n, _ := rd.Read(make([]byte, 1000))
		got <- n
	}()
	testnet.WaitFor(t, s2, ih, 30*time.Second, "a corrupt piece", func(ts swarm.TorrentSnapshot) bool { return ts.Wasted > 0 })
	cancel()
	if n := <-got; n != 0 {
		t.Fatalf("Read returned %d bytes of a torrent with no verified piece", n)
	}
}

func TestTransfer_Sequential(t *testing.T) {
	// 4 MiB in 16 KiB pieces from a seed capped at 1 MiB/s: while it
	// downloads, no verified piece lies a window (64 pieces) or more past
	// the first missing one.
	s, ih, tor, want := slowSwarm(t, 4<<20, 1<<20, swarm.AddOptions{Sequential: true})
	checkInOrder(t, s, ih, tor, want)
}

// TestSetSequential_AfterAdd: sequential turned on after Add (the
// daemon's `shoal set --sequential`, Transmission's sequential_download)
// holds as it does from Add, and the snapshot says so.
func TestSetSequential_AfterAdd(t *testing.T) {
	s, ih, tor, want := slowSwarm(t, 4<<20, 1<<20, swarm.AddOptions{Paused: true})
	if err := s.SetSequential(ih, true); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s, ih); !ts.Sequential {
		t.Error("the snapshot does not say sequential")
	}
	if err := s.Resume(ih); err != nil {
		t.Fatal(err)
	}
	checkInOrder(t, s, ih, tor, want)
	if err := s.SetSequential(ih, false); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s, ih); ts.Sequential {
		t.Error("the snapshot still says sequential")
	}
}

// checkInOrder watches torrent ih download: no verified piece may lie a
// window (64 pieces of 16 KiB) or more past the first missing one. Then
// it reads the whole file back.
func checkInOrder(t *testing.T, s *swarm.Session, ih swarm.InfoHash, tor *pieces.Torrent, want []byte) {
	t.Helper()
	const window = 64
	deadline := time.Now().Add(60 * time.Second)
	polls := 0
	for {
		held := swarm.Held(s, ih)
		first := 0
		for first < len(held) && held[first] {
			first++
		}
		if first == len(held) && held != nil {
			break
		}
		for i := first + window; i < len(held); i++ {
			if held[i] {
				t.Fatalf("piece %d verified while piece %d is missing: more than the window (%d) ahead", i, first, window)
			}
		}
		polls++
		if time.Now().After(deadline) {
			t.Fatalf("not done after 60 s: %d of %d pieces", count(held), len(held))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if polls < 3 {
		t.Errorf("only %d looks while downloading: the test saw too little", polls)
	}
	testnet.WaitComplete(t, s, ih, 30*time.Second)
	rd, err := s.NewReader(t.Context(), ih, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got, err := io.ReadAll(rd)
	if err != nil || !bytes.Equal(got, want) || int64(len(got)) != tor.Info.Length {
		t.Fatalf("read back %d bytes (%v), equal %v", len(got), err, bytes.Equal(got, want))
	}
}

func TestReader_SeekGoesBeforeQueuedRequests(t *testing.T) {
	// A download under way has a queue of requests at its seed (64 blocks
	// at least). A read far away withdraws them: only blocks the seed had
	// already taken arrive before its own (its writer buffers 16, its rate
	// limiter's burst is 4). Seen: 2 to 13 other pieces with the
	// withdrawal, 69 to 79 without.
	const size = 8 << 20
	s, ih, tor, want := slowSwarm(t, size, 256<<10, swarm.AddOptions{Sequential: true})
	deadline := time.Now().Add(60 * time.Second)
	for count(swarm.Held(s, ih)) < 16 {
		if time.Now().After(deadline) {
			t.Fatal("the download did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := swarm.Held(s, ih)
	rd, err := s.NewReader(t.Context(), ih, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rd.SetReadahead(0)
	off := int64(size * 3 / 4)
	got := make([]byte, 1000)
	if _, err := rd.ReadAt(got, off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want[off:off+1000]) {
		t.Fatal("wrong bytes")
	}
	after := swarm.Held(s, ih)
	head := int(off / tor.Info.PieceLength)
	others := 0
	for i := range after {
		if after[i] && !before[i] && i != head {
			others++
		}
	}
	t.Logf("%d other pieces verified between the seek and its first byte", others)
	if others >= 32 {
		t.Fatalf("%d other pieces were verified before the one a reader waited for: its requests queued behind theirs", others)
	}
}
