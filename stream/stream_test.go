package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/stream"
	"github.com/shoal-bt/shoal/swarm"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// payload writes files under src/payload and makes a torrent of them in
// 16 KiB pieces.
func payload(t *testing.T, files ...testnet.File) (src string, tor *pieces.Torrent) {
	t.Helper()
	src = t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 11, files...)
	return src, testnet.Create(t, root, 16<<10)
}

// seedSession seeds tor from src, sending at most upBps (0: no cap).
func seedSession(t *testing.T, src string, tor *pieces.Torrent, upBps int64) *swarm.Session {
	t.Helper()
	s := testnet.StartSession(t, swarm.Config{UpLimitBps: upBps})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	return s
}

// leecher adds tor to a new session, fetching from peers.
func leecher(t *testing.T, tor *pieces.Torrent, peers ...*swarm.Session) *swarm.Session {
	t.Helper()
	s := testnet.StartSession(t, swarm.Config{})
	var addrs []string
	for _, p := range peers {
		addrs = append(addrs, p.Addr().String())
	}
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir(), Peers: addrs}); err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts the stream handler over s on loopback.
func serve(t *testing.T, s *swarm.Session, readahead int64) string {
	t.Helper()
	srv := httptest.NewServer(&stream.Handler{Session: s, Readahead: readahead})
	t.Cleanup(srv.Close)
	return srv.URL
}

func fileURL(t *testing.T, base string, s *swarm.Session, ih swarm.InfoHash, file int) string {
	t.Helper()
	ts, ok := testnet.Find(s, ih)
	if !ok {
		t.Fatal("torrent not in the snapshot")
	}
	return stream.URLs(base, ts)[file]
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServe_RangeFromMiddleWhileDownloading(t *testing.T) {
	// 8 MiB from a seed sending 512 KiB/s: a range from the middle comes
	// back exact while most of the file is still missing.
	src, tor := payload(t, testnet.File{Path: "movie.mkv", Size: 8 << 20}, testnet.File{Path: "notes.txt", Size: 1000})
	want := read(t, filepath.Join(src, "payload", "movie.mkv"))
	s := leecher(t, tor, seedSession(t, src, tor, 512<<10))
	u := fileURL(t, serve(t, s, 64<<10), s, tor.InfoHash, 0)
	from, to := int64(4<<20+12345), int64(4<<20+12345+150_000-1)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := testnet.Find(s, tor.InfoHash)
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("status %d, want 206", resp.StatusCode)
	}
	if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", from, to, len(want)) {
		t.Errorf("Content-Range %q", cr)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/x-matroska" {
		t.Errorf("Content-Type %q, want video/x-matroska", ct)
	}
	if !bytes.Equal(got, want[from:to+1]) {
		t.Fatalf("got %d bytes, not the file's %d at %d", len(got), to+1-from, from)
	}
	// Without the reader's deadlines, rarest-first reaches these pieces
	// with most of the file.
	if ts.DoneBytes >= ts.WantedBytes/2 {
		t.Fatalf("the range came back once %d of %d bytes were verified", ts.DoneBytes, ts.WantedBytes)
	}
	t.Logf("range served with %d of %d bytes verified", ts.DoneBytes, ts.WantedBytes)
}

func TestServe_Hostile(t *testing.T) {
	src, tor := payload(t, testnet.File{Path: "a.bin", Size: 100_000}, testnet.File{Path: "sub/b c.bin", Size: 5000})
	want := read(t, filepath.Join(src, "payload", "sub", "b c.bin"))
	s := seedSession(t, src, tor, 0)
	h := &stream.Handler{Session: s}
	ih := fmt.Sprintf("%x", tor.InfoHash[:])
	good := "/" + ih + "/1/payload/sub/b%20c.bin"
	for _, tt := range []struct {
		name, method, host, path, rng string
		code                          int
		body                          []byte
	}{
		{name: "whole file", path: good, code: 200, body: want},
		{name: "no name", path: "/" + ih + "/1", code: 200, body: want},
		{name: "suffix range", path: good, rng: "bytes=-5", code: 206, body: want[len(want)-5:]},
		{name: "open range", path: good, rng: "bytes=4990-", code: 206, body: want[4990:]},
		{name: "head", method: http.MethodHead, path: good, code: 200},
		{name: "wrong name", path: "/" + ih + "/1/payload/a.bin", code: 404},
		{name: "dot dot", path: "/" + ih + "/1/../../../etc/passwd", code: 404},
		{name: "escaped dot dot", path: "/" + ih + "/1/payload/..%2f..%2fetc%2fpasswd", code: 404},
		{name: "file out of range", path: "/" + ih + "/2/x", code: 404},
		{name: "negative file", path: "/" + ih + "/-1/x", code: 404},
		{name: "huge file number", path: "/" + ih + "/99999999999999999999/x", code: 404},
		{name: "unknown torrent", path: "/0123456789012345678901234567890123456789/0", code: 404},
		{name: "bad infohash", path: "/zz/0", code: 404},
		{name: "root", path: "/", code: 404},
		{name: "negative range", path: good, rng: "bytes=-1-5", code: 416},
		{name: "reversed range", path: good, rng: "bytes=50-10", code: 416},
		{name: "range past the end", path: good, rng: "bytes=5000-6000", code: 416},
		{name: "garbage range", path: good, rng: "bytes=x-y", code: 416},
		{name: "zero suffix", path: good, rng: "bytes=-0", code: 416},
		{name: "post", method: http.MethodPost, path: good, code: 405},
		{name: "foreign host", host: "evil.example", path: good, code: 421},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequestWithContext(t.Context(), method, "http://127.0.0.1"+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("%s %s (Range %q): status %d, want %d: %s", method, tt.path, tt.rng, rec.Code, tt.code, rec.Body)
			}
			if tt.body != nil && !bytes.Equal(rec.Body.Bytes(), tt.body) {
				t.Fatalf("body of %d bytes, want %d", rec.Body.Len(), len(tt.body))
			}
		})
	}
	if n, err := s.Readers(tor.InfoHash); err != nil || n != 0 {
		t.Fatalf("Readers = %d, %v after every request; want 0", n, err)
	}
}

func TestServe_DisconnectFreesPriorities(t *testing.T) {
	// No peers: the request waits for its first piece until the client
	// goes; its reader's priorities go with it.
	_, tor := payload(t, testnet.File{Path: "a.bin", Size: 1 << 20})
	s := leecher(t, tor)
	u := fileURL(t, serve(t, s, 0), s, tor.InfoHash, 0)
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=500000-")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	waitReaders(t, s, tor.InfoHash, 1)
	cancel()
	<-done
	waitReaders(t, s, tor.InfoHash, 0)
	http.DefaultClient.CloseIdleConnections()
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

func TestServe_SkippedFile(t *testing.T) {
	_, tor := payload(t, testnet.File{Path: "a.bin", Size: 64 << 10}, testnet.File{Path: "b.bin", Size: 64 << 10})
	s := testnet.StartSession(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir(),
		Priorities: []swarm.Priority{swarm.PriorityNormal, swarm.PrioritySkip}}); err != nil {
		t.Fatal(err)
	}
	h := &stream.Handler{Session: s}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("http://127.0.0.1/%x/1", tor.InfoHash[:]), nil))
	if rec.Code != http.StatusConflict {
		t.Fatalf("status %d, want 409 for a skipped file: %s", rec.Code, rec.Body)
	}
}

func TestServe_MagnetBeforeInfo(t *testing.T) {
	s := testnet.StartSession(t, swarm.Config{})
	m, err := pieces.ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(t.Context(), swarm.AddOptions{Magnet: m, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	(&stream.Handler{Session: s}).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet,
		"http://127.0.0.1/0123456789abcdef0123456789abcdef01234567/0", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
}
