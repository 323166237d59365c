package swarm_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// fileRange reads the range a request asks of a file under src: the
// whole file when it asks for none.
func fileRange(t *testing.T, src string, r *http.Request) (data []byte, first, size int64, ok bool) {
	b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(r.URL.Path)))
	if err != nil {
		return nil, 0, 0, false
	}
	size = int64(len(b))
	last := size - 1
	if rg := r.Header.Get("Range"); rg != "" {
		if _, err := fmt.Sscanf(rg, "bytes=%d-%d", &first, &last); err != nil || first > last || last >= size {
			t.Errorf("bad Range %q for %d bytes", rg, size)
			return nil, 0, 0, false
		}
	}
	return b[first : last+1], first, size, true
}

func writePartial(w http.ResponseWriter, first, size int64, n int) {
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, first+int64(n)-1, size))
	w.WriteHeader(http.StatusPartialContent)
}

// TestWebSeed_Hostile: a web seed that lies or fails is dropped with the
// reason in the snapshot, having had nothing of it counted unverified;
// the download then completes from a peer, byte for byte.
func TestWebSeed_Hostile(t *testing.T) {
	var offHost atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { offHost.Add(1) }))
	t.Cleanup(elsewhere.Close)
	otherHost := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)

	for _, tt := range []struct {
		name, says string
		size       int // of the first file; the second is 50,001 bytes
		serve      func(t *testing.T, src string, w http.ResponseWriter, r *http.Request)
	}{
		{"wrong bytes", "failed its hash", 100_000, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			data, first, size, ok := fileRange(t, src, r)
			if !ok {
				http.NotFound(w, r)
				return
			}
			bad := append([]byte(nil), data...)
			for k := range bad {
				bad[k] ^= 0x5a
			}
			writePartial(w, first, size, len(bad))
			w.Write(bad)
		}},
		{"503", "HTTP 503", 100_000, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}},
		{"range ignored", "ignores Range", 9 << 20, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			// The file's whole body whatever the range: a job is 4 MiB, so
			// at most one of the three or more this file needs starts at 0
			// (where the first bytes of a 200 are the bytes asked for).
			b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(r.URL.Path)))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		}},
		{"redirect off host", "another host", 100_000, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, otherHost+r.URL.Path, http.StatusFound)
		}},
		{"never ends", "no data for", 100_000, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			data, first, size, ok := fileRange(t, src, r)
			if !ok {
				http.NotFound(w, r)
				return
			}
			writePartial(w, first, size, len(data))
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"trickle", "B/s", 100_000, func(t *testing.T, src string, w http.ResponseWriter, r *http.Request) {
			data, first, size, ok := fileRange(t, src, r)
			if !ok {
				http.NotFound(w, r)
				return
			}
			writePartial(w, first, size, len(data))
			for _, c := range data {
				if _, err := w.Write([]byte{c}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, root, tor := webPayload(t, 16<<10, tt.size, 50_001)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.serve(t, src, w, r) }))
			t.Cleanup(srv.Close)
			url := srv.URL + "/"
			tor = withWebSeeds(t, tor, url)
			s2 := testnet.StartSession(t, swarm.Config{})
			swarm.SetWebTimeouts(s2, 300*time.Millisecond, 10*time.Millisecond)
			dst := t.TempDir()
			ih, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
			if err != nil {
				t.Fatal(err)
			}
			ts := testnet.WaitFor(t, s2, ih, 60*time.Second, "the web seed dropped", func(ts swarm.TorrentSnapshot) bool {
				return len(ts.WebSeeds) == 1 && ts.WebSeeds[0].State == swarm.WebSeedDropped
			})
			if ws := ts.WebSeeds[0]; !strings.Contains(ws.Err, tt.says) {
				t.Errorf("dropped because %q, want it to say %q", ws.Err, tt.says)
			}
			if tt.name == "wrong bytes" && (ts.DoneBytes != 0 || ts.WebSeeds[0].BadPieces == 0) {
				t.Errorf("from a lying web seed alone: %d bytes done, %d bad pieces", ts.DoneBytes, ts.WebSeeds[0].BadPieces)
			}
			// A peer that has it all now dials us; the download completes.
			s1 := testnet.StartSession(t, swarm.Config{})
			if _, err := s1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{s2.Addr().String()}}); err != nil {
				t.Fatal(err)
			}
			testnet.WaitComplete(t, s2, ih, 60*time.Second)
			testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
		})
	}
	if n := offHost.Load(); n != 0 {
		t.Errorf("%d requests followed a redirect to another host", n)
	}
}

// TestWebSeed_HugeBody: a server that sends the right bytes for the range
// and then junk without end costs the range and a socket's buffers, not
// the junk; a redirect on the same host is followed.
func TestWebSeed_HugeBody(t *testing.T) {
	src, root, tor := webPayload(t, 16<<10, 300_000, 50_001)
	const junk = 256 << 20
	var maxOver atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.EscapedPath(), "/old/"); ok {
			http.Redirect(w, r, "/new/"+p, http.StatusMovedPermanently)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/new")
		data, first, size, ok := fileRange(t, src, r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, first+int64(len(data))-1, size))
		w.WriteHeader(http.StatusPartialContent)
		if _, err := w.Write(data); err != nil {
			return
		}
		buf := make([]byte, 64<<10)
		var over int64
		for over < junk {
			n, err := w.Write(buf)
			over += int64(n)
			if err != nil {
				break
			}
		}
		for old := maxOver.Load(); over > old && !maxOver.CompareAndSwap(old, over); old = maxOver.Load() {
		}
	}))
	t.Cleanup(srv.Close)
	tor = withWebSeeds(t, tor, srv.URL+"/old/")
	s := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
	if err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
	if ws := ts.WebSeeds[0]; ws.Downloaded > tor.Info.Length+int64(len(ts.Pieces))*16<<10 || ws.State != swarm.WebSeedActive {
		t.Errorf("web seed %+v: more than the torrent's %d bytes counted", ws, tor.Info.Length)
	}
	srv.Close() // waits for the handlers
	if over := maxOver.Load(); over >= 32<<20 {
		t.Errorf("the server got %d bytes of junk past a range out before the client hung up", over)
	}
}

// TestWebSeed_BackoffShown: a failing web seed shows that it backs off,
// until when, and why.
func TestWebSeed_BackoffShown(t *testing.T) {
	_, _, tor := webPayload(t, 16<<10, 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	tor = withWebSeeds(t, tor, srv.URL+"/")
	s := testnet.StartSession(t, swarm.Config{})
	swarm.SetWebTimeouts(s, 0, time.Hour)
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitFor(t, s, ih, 60*time.Second, "the web seed backing off", func(ts swarm.TorrentSnapshot) bool {
		return len(ts.WebSeeds) == 1 && ts.WebSeeds[0].State == swarm.WebSeedBackoff
	})
	ws := ts.WebSeeds[0]
	if !strings.Contains(ws.Err, "HTTP 503") || time.Until(ws.RetryAt) < 30*time.Minute {
		t.Errorf("backing off %+v: want HTTP 503 and a retry in about an hour", ws)
	}
	// With no peer, the stall line names the web seed, not peer sources.
	ts = testnet.WaitFor(t, s, ih, 60*time.Second, "a stall", func(ts swarm.TorrentSnapshot) bool { return ts.Stall != swarm.StallNone })
	if ts.Stall != swarm.StallWebSeeds || !strings.Contains(ts.Stalled, "backing off: ") || !strings.Contains(ts.Stalled, "HTTP 503") {
		t.Errorf("stalled %v: %q; want the web seed's 503", ts.Stall, ts.Stalled)
	}
}

// TestWebSeed_PauseResume: pausing ends the web seed's requests without
// counting them against it; resumed, the download completes from it.
func TestWebSeed_PauseResume(t *testing.T) {
	src, root, tor := webPayload(t, 16<<10, 400_000)
	var inFlight atomic.Int64
	gate := make(chan struct{}) // closed once the torrent is paused
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		select { // held until the pause, which must end the request
		case <-gate:
		case <-r.Context().Done():
			return
		}
		data, first, size, ok := fileRange(t, src, r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		writePartial(w, first, size, len(data))
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	tor = withWebSeeds(t, tor, srv.URL+"/")
	s := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, s, ih, 60*time.Second, "a web seed request", func(ts swarm.TorrentSnapshot) bool {
		return len(ts.WebSeeds) == 1 && ts.WebSeeds[0].Requests > 0
	})
	if err := s.Pause(ih); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitFor(t, s, ih, 60*time.Second, "the requests ended", func(ts swarm.TorrentSnapshot) bool {
		return ts.WebSeeds[0].Requests == 0 && inFlight.Load() == 0
	})
	if ws := ts.WebSeeds[0]; ws.State != swarm.WebSeedActive || ws.Err != "" {
		t.Errorf("after a pause the web seed is %v (%q), want active with no error", ws.State, ws.Err)
	}
	close(gate)
	if err := s.Resume(ih); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
}
