package swarm_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// blake3Files are not on 1 KiB boundaries, so pieces split BLAKE3 chunks.
var blake3Files = []testnet.File{{Path: "a.bin", Size: 1<<20 + 4097}, {Path: "b", Size: 3},
	{Path: "sub/c.bin", Size: 700_001}, {Path: "sub/d.bin", Size: 2<<20 + 1}}

// TestBlake3_DownloadReadsNothingBack: a download that ran in one process
// is Verified by the BLAKE3 digests computed as its pieces were written,
// in the random order they came, with no pass over the files.
func TestBlake3_DownloadReadsNothingBack(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 71, blake3Files...)
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s1.Addr().String()}})
	testnet.WaitFor(t, l, ih, 60*time.Second, "verified", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if n := swarm.Blake3BytesRead(l, ih); n != 0 {
		t.Fatalf("the BLAKE3 check read %d bytes back; want none", n)
	}
}

// TestBlake3_ResumeAfterTornJournal: a download stopped part way, whose
// state is put back as a crash would have left it (an older resume record
// and a journal torn in its last entry), is resumed and Verified: the
// BLAKE3 check reads back what the first run fetched and no more than
// that, and the files are the seed's byte for byte.
func TestBlake3_ResumeAfterTornJournal(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 72, blake3Files...)
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 2 << 20})
	state, dst, crash := t.TempDir(), t.TempDir(), t.TempDir()
	l1, stop1 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := l1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	// Once a quarter is here, the state files as a kill -9 would leave
	// them: the last resume record written (records are replaced whole)
	// and the journal of the pieces verified since.
	testnet.WaitFor(t, l1, ih, 60*time.Second, "a quarter", func(ts swarm.TorrentSnapshot) bool {
		return ts.DoneBytes >= ts.WantedBytes/4
	})
	copyDir(t, state, crash)
	first := testnet.WaitFor(t, l1, ih, 60*time.Second, "half", func(ts swarm.TorrentSnapshot) bool {
		return ts.DoneBytes >= ts.WantedBytes/2
	})
	if first.Verified {
		t.Fatal("done before it could be stopped")
	}
	stop1()
	journals, _ := filepath.Glob(filepath.Join(crash, "*.journal"))
	if len(journals) != 1 {
		t.Fatalf("journals %v in the crash copy; want one", journals)
	}
	f, err := os.OpenFile(journals[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0}) // an entry cut short
	f.Close()
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	copyDir(t, crash, state)

	l2 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := l2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	resumed, _ := testnet.Find(l2, ih)
	testnet.WaitFor(t, l2, ih, 60*time.Second, "verified", func(ts swarm.TorrentSnapshot) bool { return ts.Verified })
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	read := swarm.Blake3BytesRead(l2, ih)
	if read == 0 || read >= resumed.SizeBytes {
		t.Fatalf("the BLAKE3 check read %d of %d bytes; want the resumed pieces (%d bytes) and not all", read, resumed.SizeBytes, resumed.DoneBytes)
	}
	t.Logf("resumed with %d bytes verified; the BLAKE3 check read %d of %d", resumed.DoneBytes, read, resumed.SizeBytes)
}

// copyDir copies the regular files of from into to (no subfolders).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Error(err)
		return
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Error(err)
		return
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err == nil {
			err = os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	}
}
