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

func newWriter(t *testing.T) *Writer {
	t.Helper()
	w, err := NewWriter()
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("io_uring is not available here (%v); shoal writes with pwritev then", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func start(w *Writer, f *os.File, bufs [][]byte, off int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = w.Start(fd, bufs, off) }); err != nil {
		return err
	}
	return serr
}

func TestWriter_BytesLandAtTheOffset(t *testing.T) {
	w := newWriter(t)
	defer w.Close()
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
		if err := start(w, f, bufs, off); err != nil {
			t.Fatal(err)
		}
		if n, err := w.Wait(); err != nil || n != 1<<19 {
			t.Fatalf("write at %d: %d, %v; want %d, nil", off, n, err, 1<<19)
		}
		if n, err, ok := w.Done(); n != 0 || err != nil || !ok {
			t.Fatalf("Done with nothing in flight: %d, %v, %v", n, err, ok)
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

func TestWriter_ErrorIsTheKernels(t *testing.T) {
	w := newWriter(t)
	defer w.Close()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := start(w, ro, [][]byte{[]byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Wait(); n != 0 || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("write to a read-only file: %d, %v; want 0, EBADF", n, err)
	}
	if err := start(w, ro, nil, 0); err == nil {
		t.Fatal("Start with nothing to write: no error")
	}
	// The ring that carried the failure still works.
	rw, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if err := start(w, rw, [][]byte{[]byte("ok")}, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Wait(); n != 2 || err != nil {
		t.Fatalf("write after a failure: %d, %v", n, err)
	}
}

// A write the kernel cannot start (into a full pipe) leaves Start at once, shows as not done, and completes through Wait's eventfd once a
// reader drains the pipe.
func TestWriter_LateCompletion(t *testing.T) {
	w := newWriter(t)
	defer w.Close()
	pr, pw, fill := fullPipe(t)
	data := bytes.Repeat([]byte("shoal"), 200_000)
	if err := start(w, pw, [][]byte{data}, -1); err != nil { // -1: the pipe's own position
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
		if err := start(w, pw, [][]byte{data[written:]}, -1); err != nil {
			t.Fatal(err)
		}
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("the reader got %d bytes, not the %d written", len(b), len(data))
	}
}

// Close waits for a write in flight before it frees the ring, whose
// buffers the kernel would otherwise still read.
func TestWriter_CloseWaits(t *testing.T) {
	w := newWriter(t)
	pr, pw, _ := fullPipe(t)
	data := bytes.Repeat([]byte{7}, 100_000)
	if err := start(w, pw, [][]byte{data}, -1); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with the write still in the kernel", err)
	case <-time.After(50 * time.Millisecond):
	}
	go io.Copy(io.Discard, pr)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
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
