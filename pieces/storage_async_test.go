//go:build linux

package pieces

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/pagecache"
)

func asyncOrSkip(t *testing.T, s *Storage) *AsyncDirect {
	t.Helper()
	a := s.NewAsyncDirect()
	if a == nil {
		t.Skip("no io_uring here: shoal's disk goroutines write direct runs with pwritev then")
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func alignedRun(stream []byte, off, n int) [][]byte {
	var bufs [][]byte
	for at := off; at < off+n; at += 16384 {
		b := AlignedBlock(16384)
		copy(b, stream[at:])
		bufs = append(bufs, b)
	}
	return bufs
}

// TestAsyncDirect: a queued aligned run lands whole and skips the page
// cache, as WriteBuffersDirect's would; a run that cannot go direct is
// not started, and nothing of it is written.
func TestAsyncDirect(t *testing.T) {
	const aLen = 1 << 20
	info, stream := makeInfo(t, "root", 16384, []testFile{{"a.bin", aLen}, {"b.bin", 300_000}})
	s, dir := directStorage(t, info, stream)
	a := asyncOrSkip(t, s)
	dropCache(t, filepath.Join(dir, "root", "a.bin"))
	// Four writes in flight at a time, finished oldest first.
	const run = 128 << 10
	for off := 0; off < aLen; off += 4 * run {
		for i := range 4 {
			if !a.Start(alignedRun(stream, off+i*run, run), int64(off+i*run)) {
				t.Fatalf("an aligned run at %d was not started", off+i*run)
			}
		}
		if a.Pending() != 4 {
			t.Fatalf("%d writes pending; want the 4 started", a.Pending())
		}
		for a.Pending() > 0 {
			for !a.OldestDone() {
				time.Sleep(100 * time.Microsecond)
			}
			if n, err := a.Finish(); err != nil || n != run {
				t.Fatalf("Finish: %d, %v; want %d, nil", n, err, run)
			}
		}
	}
	if n := pagecache.Count(resident(t, filepath.Join(dir, "root", "a.bin"))); n != 0 {
		t.Errorf("%d pages of a.bin's queued direct writes are in the page cache; want none", n)
	}
	unaligned := make([]byte, run+1)[1:]
	for name, start := range map[string]func() bool{
		"across the file boundary": func() bool { return a.Start(alignedRun(stream, aLen-16384, 32768), aLen-16384) },
		"at an unaligned offset":   func() bool { return a.Start(alignedRun(stream, aLen+16384, 32768), aLen+100) },
		"from unaligned memory":    func() bool { return a.Start([][]byte{unaligned}, 0) },
		"past the end":             func() bool { return a.Start(alignedRun(make([]byte, 1<<20), 0, 32768), info.Length-100) },
	} {
		if start() {
			a.Close()
			t.Errorf("a run %s was started", name)
		}
	}
	got := make([]byte, aLen)
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream[:aLen]) {
		t.Fatalf("a.bin read back differs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "root", "b.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("b.bin, which no started run touched: %v; want it not made", err)
	}
}

// TestAsyncDirect_Errors: the kernel's error comes back from Finish with the
// file's name; a file system that refuses the write (EINVAL) gets it through
// the page cache instead, and is not asked again.
func TestAsyncDirect_Errors(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, []testFile{{"a.bin", 1 << 20}})
	s, err := OpenStorage(filepath.Join(t.TempDir(), "dl"), info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := asyncOrSkip(t, s)
	var twin func(*os.File) (*os.File, error)
	openDirect = func(f *os.File) (*os.File, error) { return twin(f) }
	t.Cleanup(func() { openDirect = reopenDirect })

	// A read-only twin: every write fails with EBADF.
	twin = func(f *os.File) (*os.File, error) { return os.Open(f.Name()) }
	if !a.Start(alignedRun(stream, 0, 65536), 0) {
		t.Fatal("not started")
	}
	if _, err := a.Finish(); !errors.Is(err, syscall.EBADF) || !bytes.Contains([]byte(err.Error()), []byte("a.bin")) {
		t.Fatalf("Finish: %v; want EBADF naming a.bin", err)
	}
	s.CloseIdle()

	// An eventfd as the twin: a write of other than 8 bytes is EINVAL.
	asked := 0
	twin = func(*os.File) (*os.File, error) {
		asked++
		fd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
		if errno != 0 {
			return nil, errno
		}
		return os.NewFile(fd, "eventfd"), nil
	}
	if !a.Start(alignedRun(stream, 0, 65536), 0) {
		t.Fatal("not started")
	}
	if n, err := a.Finish(); err != nil || n != 65536 {
		t.Fatalf("Finish of a refused write: %d, %v; want it written through the cache", n, err)
	}
	if a.Start(alignedRun(stream, 65536, 65536), 65536) {
		a.Close()
		t.Fatal("started a direct write after the file system refused one")
	}
	if asked != 1 {
		t.Fatalf("the O_DIRECT twin opened %d times; want once", asked)
	}
	got := make([]byte, 65536)
	if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream[:65536]) {
		t.Fatalf("the refused run's bytes are not on disk: %v", err)
	}
}

// TestAsyncDirect_NeverWaitsForThePartLock: with a write in flight holding
// the part lock for reading, a Close (which wants it for writing) waits;
// Start must then refuse rather than queue behind the Close, which waits
// for the write Start's caller would never finish.
func TestAsyncDirect_NeverWaitsForThePartLock(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, []testFile{{"a.bin", 1 << 20}})
	s, err := OpenStorage(filepath.Join(t.TempDir(), "dl"), info)
	if err != nil {
		t.Fatal(err)
	}
	a := asyncOrSkip(t, s)
	if !a.Start(alignedRun(stream, 0, 65536), 0) {
		t.Skip("the file system refuses O_DIRECT")
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	for s.part.mu.TryRLock() { // until Close is waiting for the lock
		s.part.mu.RUnlock()
		time.Sleep(time.Millisecond)
	}
	started := make(chan bool)
	go func() { started <- a.Start(alignedRun(stream, 65536, 65536), 65536) }()
	select {
	case ok := <-started:
		if ok {
			t.Fatal("Start queued a write while Close waited for the part lock")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start waits for the part lock behind Close: a deadlock")
	}
	if n, err := a.Finish(); err != nil || n != 65536 {
		t.Fatalf("Finish: %d, %v", n, err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}
