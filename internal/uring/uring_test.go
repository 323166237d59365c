//go:build linux

package uring

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func availableOrSkip(t *testing.T) {
	t.Helper()
	if !Available() {
		t.Skip("io_uring is not available here (old kernel, seccomp or kernel.io_uring_disabled); shoal writes with pwritev then")
	}
}

func start(f *os.File, bufs [][]byte, off int64) (*Write, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var w *Write
	var serr error
	if err := rc.Control(func(fd uintptr) { w, serr = Start(fd, bufs, off) }); err != nil {
		return nil, err
	}
	return w, serr
}

func TestWrite_BytesLandAtTheOffset(t *testing.T) {
	availableOrSkip(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 1<<20)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	// Uneven pieces, an empty one among them, in two writes.
	for _, bufs := range [][][]byte{
		{want[:1], want[1:16384], {}, want[16384:300000], want[300000 : 1<<19]},
		{want[1<<19:]},
	} {
		off := int64(4096)
		if len(bufs) == 1 {
			off += 1 << 19
		}
		w, err := start(f, bufs, off)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.Wait(); err != nil || n != 1<<19 {
			t.Fatalf("write at %d: %d, %v; want %d, nil", off, n, err, 1<<19)
		}
	}
	got := make([]byte, len(want)+4096)
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:4096], make([]byte, 4096)) || !bytes.Equal(got[4096:], want) {
		t.Fatal("the file does not hold the bytes written at their offset")
	}
}

func TestWrite_ErrorIsTheKernels(t *testing.T) {
	availableOrSkip(t)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	w, err := start(ro, [][]byte{[]byte("x")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Wait(); n != 0 || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("write to a read-only file: %d, %v; want 0, EBADF", n, err)
	}
	if _, err := start(ro, nil, 0); err == nil {
		t.Fatal("Start with nothing to write: no error")
	}
	// The rings that carried the failures still work.
	rw, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	for range 2 * maxRings {
		w, err := start(rw, [][]byte{[]byte("ok")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.Wait(); n != 2 || err != nil {
			t.Fatalf("write after a failure: %d, %v", n, err)
		}
	}
}

// A write the kernel cannot start (into a full pipe) leaves Start at once, shows as not done, and completes through Wait's eventfd once a
// reader drains the pipe.
func TestWrite_LateCompletion(t *testing.T) {
	availableOrSkip(t)
	pr, pw, fill := fullPipe(t)
	data := bytes.Repeat([]byte("shoal"), 200_000)
	w, err := start(pw, [][]byte{data}, -1) // -1: the pipe's own position
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, _, ok := w.Done(); ok {
		t.Fatal("a write into a full pipe nobody reads reports done")
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, int64(fill+len(data))))
		got <- b[fill:]
	}()
	// A pipe write may complete in parts; finish it as a caller would.
	written := 0
	for {
		n, err := w.Wait()
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if written += n; written == len(data) {
			break
		}
		if w, err = start(pw, [][]byte{data[written:]}, -1); err != nil {
			t.Fatal(err)
		}
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("the reader got %d bytes, not the %d written", len(b), len(data))
	}
}

// Rings are borrowed per write: with each one's write stuck in a full
// pipe, Start says ErrBusy, and a ring comes back once its write is done.
func TestStart_BusyWhenEveryRingIsInFlight(t *testing.T) {
	availableOrSkip(t)
	var readers []*os.File
	var writes []*Write
	for range maxRings + 1 {
		pr, pw, _ := fullPipe(t)
		w, err := start(pw, [][]byte{[]byte("late")}, -1)
		if len(writes) == maxRings {
			if !errors.Is(err, ErrBusy) {
				t.Fatalf("Start with %d writes in flight: %v; want ErrBusy", maxRings, err)
			}
			break
		}
		if err != nil {
			t.Fatalf("write %d: %v", len(writes), err)
		}
		readers, writes = append(readers, pr), append(writes, w)
	}
	for i, w := range writes {
		go io.Copy(io.Discard, readers[i])
		if n, err := w.Wait(); n != 4 || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if m := pool.made.Load(); m > maxRings {
		t.Fatalf("%d rings made; at most %d", m, maxRings)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := start(f, [][]byte{[]byte("again")}, 0)
	if err != nil {
		t.Fatalf("Start once the rings came back: %v", err)
	}
	if n, err := w.Wait(); n != 5 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
}

// fullPipe is a pipe without O_NONBLOCK (os.Pipe sets it, and io_uring
// then fails with EAGAIN rather than wait), already full: a write to it
// waits for a reader, who first gets the fill bytes.
func fullPipe(t *testing.T) (r, w *os.File, fill int) {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(fds[0]), "pipe r"), os.NewFile(uintptr(fds[1]), "pipe w")
	t.Cleanup(func() { r.Close(); w.Close() })
	fill, err := unix.FcntlInt(uintptr(fds[1]), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, fill)); err != nil {
		t.Fatal(err)
	}
	return r, w, fill
}
