package swarm_test

import (
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSnapshot_AddsStayLinear restores many torrents the way the daemon
// does at start, one Add after another, and counts the torrent snapshots
// copied into session snapshots meanwhile: rebuilding the whole session's
// snapshot on every Add made a restart of N torrents cost N²/2 copies (the
// daemon took over 15 minutes for 10,000). It counts work, not time.
func TestSnapshot_AddsStayLinear(t *testing.T) {
	const n = 300
	s := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	dir := t.TempDir()
	add := func(i int) swarm.InfoHash {
		var ih swarm.InfoHash
		ih[0], ih[1], ih[19] = byte(i>>8), byte(i), 0xAA
		if _, err := s.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: dir}); err != nil {
			t.Fatal(err)
		}
		return ih
	}
	before := swarm.TorrentSnapshotsCopied(s)
	for i := range n {
		add(i)
	}
	// A few rebuilds by the session's own readers are fine; one per Add
	// of every torrent so far is not.
	if got := swarm.TorrentSnapshotsCopied(s) - before; got > 4*n {
		t.Fatalf("%d adds copied %d torrent snapshots; want at most %d (linear in the adds)", n, got, 4*n)
	}
	if got := len(s.Snapshot().Torrents); got != n {
		t.Fatalf("Snapshot shows %d torrents after %d adds", got, n)
	}
	// The promise Add keeps: Snapshot shows a torrent as soon as Add returns.
	for i := n; i < n+5; i++ {
		ih := add(i)
		if _, ok := testnet.Find(s, ih); !ok {
			t.Fatalf("torrent %d missing from the Snapshot right after its Add", i)
		}
	}
}

// TestSnapshot_QuietSeedSkipsTicks: a seed with no peers has nothing new to
// show on a sample tick, so it builds no snapshot for it (10,000 idle seeds
// built 20,000 a second), though it still shows a command at once.
func TestSnapshot_QuietSeedSkipsTicks(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 3, testnet.File{Path: "a.bin", Size: 40000})
	tor := testnet.Create(t, filepath.Join(path, "a.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true, SampleEvery: 2 * time.Millisecond})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.Verified
	})
	time.Sleep(100 * time.Millisecond) // the start's last events, and rates back to 0
	ticks0, builds0 := swarm.TorrentTicks(s, ih)
	deadline := time.Now().Add(time.Minute)
	for {
		ticks, builds := swarm.TorrentTicks(s, ih)
		if ticks-ticks0 >= 100 {
			// One in 20 ticks refreshes it anyway; every tick did before.
			if b := builds - builds0; b > (ticks-ticks0)/4 {
				t.Fatalf("a quiet seed built %d snapshots in %d ticks", b, ticks-ticks0)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d ticks in a minute", ticks-ticks0)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Pause(ih); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s, ih); ts.State != swarm.StatePaused {
		t.Fatalf("after Pause the snapshot says %v", ts.State)
	}
}

// TestQuietSeedHoldsNoDescriptors: a seed nobody talks to closes its files
// (10,000 idle seeds held one descriptor each besides their folder's, and
// the daemon ran out of descriptors); a peer's reads open them again.
func TestQuietSeedHoldsNoDescriptors(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to see open descriptors")
	}
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 4, testnet.File{Path: "b.bin", Size: 70000})
	file := filepath.Join(path, "b.bin")
	tor := testnet.Create(t, file, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	for round := range 2 { // the second leecher proves the seed reopens its file
		l := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
		dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
		testnet.WaitComplete(t, l, ih, 30*time.Second)
		testnet.SameTree(t, src, dst)
		got := filepath.Join(dst, "b.bin")
		// Both are seeds now: they part, and neither has a reason to keep
		// its file open.
		deadline := time.Now().Add(20 * time.Second)
		for openFD(t, file) || openFD(t, got) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: seeds with no peers still hold %s (%v) or %s (%v) open after 20 s",
					round, file, openFD(t, file), got, openFD(t, got))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// openFD says whether this process has path open.
func openFD(t *testing.T, path string) bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}

// TestQuietSeedTicksSlower: a seed with no peers slows its timers down
// (10,000 idle seeds woke 30,000 times a second), and a peer that connects
// is served at once at the usual pace.
func TestQuietSeedTicksSlower(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 5, testnet.File{Path: "c.bin", Size: 90000})
	tor := testnet.Create(t, filepath.Join(path, "c.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true, SampleEvery: 20 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for !swarm.Drowsy(s, ih) {
		if time.Now().After(deadline) {
			t.Fatal("a seed with no peers still ticks at full pace after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, src, dst)
}

// TestQuietSeedOneTimer: a quiet seed wakes for one timer, its sample
// tick, which also does the housekeeping (10,000 idle seeds woke 5,000
// times a second for three), and a file changed under it is still noticed.
func TestQuietSeedOneTimer(t *testing.T) {
	swarm.SetStampCheckEvery(time.Second)
	t.Cleanup(func() { swarm.SetStampCheckEvery(10 * time.Second) })
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 8, testnet.File{Path: "f.bin", Size: 40000})
	tor := testnet.Create(t, filepath.Join(path, "f.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true, SampleEvery: 20 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for !swarm.Drowsy(s, ih) {
		if time.Now().After(deadline) {
			t.Fatal("a seed with no peers still ticks at full pace after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Quiet tick: 20 x 20 ms. In 2 s, 5 ticks; the timers of before (a
	// 200 ms tick and the housekeeping's and rechoke's) woke 10 times.
	w0, t0 := swarm.TimerWakes(s, ih), time.Now()
	time.Sleep(2 * time.Second)
	wakes, took := swarm.TimerWakes(s, ih)-w0, time.Since(t0)
	if limit := int64(took/(400*time.Millisecond)) + 2; wakes > limit {
		t.Errorf("a quiet seed woke %d times for timers in %v; want at most %d", wakes, took, limit)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(path, "f.bin"), later, later); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, s, 30*time.Second, "about the touched file", dataChanged("still match"))
}

// TestSeedStartsNoDiskWorkers: a complete seed writes and hashes nothing,
// so it starts no disk goroutines or hashing pool (10,000 seeds kept
// 40,000 idle goroutines); a leecher does, and downloads from it.
func TestSeedStartsNoDiskWorkers(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 6, testnet.File{Path: "d.bin", Size: 50000})
	tor := testnet.Create(t, filepath.Join(path, "d.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.Verified
	})
	if n := goroutinesIn("(*torrent).diskLoop") + goroutinesIn("(*torrent).startHashers"); n != 0 {
		t.Fatalf("a seed runs %d disk or hashing goroutines", n)
	}
	l := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, src, dst)
}

// TestSeedHoldsNoPeerBuffers: a seed with no peers holds no channel
// buffers for peers or disk work (56 KiB a torrent, 10,000 seeds held
// them for nothing); the first peer brings the events channel, and a
// leecher still downloads from it.
func TestSeedHoldsNoPeerBuffers(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 7, testnet.File{Path: "e.bin", Size: 70000})
	tor := testnet.Create(t, filepath.Join(path, "e.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	testnet.WaitFor(t, s, ih, 30*time.Second, "seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding && ts.Verified
	})
	if events, disk := swarm.PeerBuffers(s, ih); events || disk {
		t.Fatalf("a seed with no peers holds buffers: events %v, disk %v", events, disk)
	}
	l := testnet.StartSession(t, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, src, dst)
	if events, disk := swarm.PeerBuffers(s, ih); !events || disk {
		t.Errorf("a seed that served a peer: events %v (want true), disk %v (want false)", events, disk)
	}
	if events, disk := swarm.PeerBuffers(l, ih); !events || !disk {
		t.Errorf("a leecher that downloaded: events %v, disk %v (want both)", events, disk)
	}
}

// goroutinesIn counts the goroutines with fn on their stack.
func goroutinesIn(fn string) int {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// TestSnapshot_IdleSessionCopiesNothing: while no torrent publishes
// anything new, a Snapshot shares the last one's torrents and only its
// time moves (the daemon's once-a-second goals check copied 10,000 torrent
// snapshots each time).
func TestSnapshot_IdleSessionCopiesNothing(t *testing.T) {
	src := t.TempDir()
	path := testnet.WriteTree(t, src, 7, testnet.File{Path: "e.bin", Size: 30000})
	tor := testnet.Create(t, filepath.Join(path, "e.bin"), 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{ListenAddr: "127.0.0.1:0", NoPEX: true, SampleEvery: 2 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for !swarm.Drowsy(s, ih) {
		if time.Now().After(deadline) {
			t.Fatal("the seed never went quiet")
		}
		time.Sleep(10 * time.Millisecond)
	}
	first := s.Snapshot()
	c0 := swarm.TorrentSnapshotsCopied(s)
	for range 50 {
		time.Sleep(5 * time.Millisecond) // a few sample ticks each
		s.Snapshot()
	}
	// The quiet torrent refreshes its own snapshot now and then; each
	// refresh costs one copy, not one per Snapshot call.
	if c := swarm.TorrentSnapshotsCopied(s) - c0; c > 10 {
		t.Fatalf("50 Snapshot calls on an idle session copied %d torrent snapshots", c)
	}
	last := s.Snapshot()
	if !last.Taken.After(first.Taken) {
		t.Fatalf("Snapshot's time stood still: %v then %v", first.Taken, last.Taken)
	}
	if len(last.Torrents) != 1 || last.Torrents[0].InfoHash != ih || last.Torrents[0].State != swarm.StateSeeding {
		t.Fatalf("the idle session's snapshot lost its seed: %+v", last.Torrents)
	}
}
