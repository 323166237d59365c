package transmission

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// gatedSeed is a web seed on loopback serving dir, whose answers wait until
// open is called, so its requests stay in flight while the test looks.
type gatedSeed struct {
	srv   *httptest.Server
	asked atomic.Int64
	gate  chan struct{}
	once  sync.Once
}

func startGatedSeed(t *testing.T, dir string) *gatedSeed {
	t.Helper()
	g := &gatedSeed{gate: make(chan struct{})}
	files := http.FileServer(http.Dir(dir))
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.asked.Add(1)
		select {
		case <-g.gate:
		case <-r.Context().Done():
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { g.open(); g.srv.Close() })
	return g
}

func (g *gatedSeed) open() { g.once.Do(func() { close(g.gate) }) }

// TestTorrentGet_WebSeeds: torrent-get's webseeds lists the torrent's
// url-list and webseedsSendingToUs counts the web seeds with requests in
// flight: both while both are asked, none once the download is complete.
func TestTorrentGet_WebSeeds(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 5, testnet.File{Path: "a.bin", Size: 1 << 20},
		testnet.File{Path: "sub/b.bin", Size: 300_001})
	a, b := startGatedSeed(t, src), startGatedSeed(t, src)
	urls := []string{a.srv.URL + "/", b.srv.URL + "/"}
	plain := testnet.Create(t, root, 16<<10)
	cp := *plain
	cp.WebSeeds = urls
	tor, err := pieces.Parse(cp.Bytes())
	if err != nil {
		t.Fatal(err)
	}

	leecher := testnet.StartSession(t, swarm.Config{NoPEX: true})
	e := &env{leecher: leecher, tor: tor, downDir: t.TempDir()}
	e.b = newSessionBackend(leecher, e.downDir)
	if e.h, err = New(Config{Backend: e.b, Version: "shoal-test", Logger: testnet.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.h.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)

	if _, err := leecher.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: e.downDir}); err != nil {
		t.Fatal(err)
	}
	hash := hex.EncodeToString(tor.InfoHash[:])
	type ws struct {
		URLs    []string `json:"webseeds"`
		Sending int      `json:"webseedsSendingToUs"`
		Done    float64  `json:"percentDone"`
	}
	get := func() ws {
		_, args := e.call(t, "torrent-get", map[string]any{"ids": []any{hash},
			"fields": []string{"webseeds", "webseedsSendingToUs", "percentDone"}})
		got := decode[[]ws](t, args["torrents"])
		if len(got) != 1 {
			t.Fatalf("%d torrents", len(got))
		}
		return got[0]
	}
	waitFor := func(what string, ok func(ws) bool) ws {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			g := get()
			if ok(g) {
				return g
			}
			if time.Now().After(deadline) {
				t.Fatalf("not %s within 60s: %+v (seeds asked %d and %d times)", what, g, a.asked.Load(), b.asked.Load())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Both seeds hold every answer, so what the engine asked stays in
	// flight: the count has to reach 2 (the snapshot may lag the asking).
	g := waitFor("sending from both web seeds", func(g ws) bool { return g.Sending == 2 })
	if !slices.Equal(g.URLs, urls) {
		t.Errorf("webseeds = %q; want %q", g.URLs, urls)
	}
	if g.Done != 0 || a.asked.Load() == 0 || b.asked.Load() == 0 {
		t.Errorf("with both seeds' answers held: percentDone %v, seeds asked %d and %d times; want 0 done, both asked",
			g.Done, a.asked.Load(), b.asked.Load())
	}

	a.open()
	b.open()
	g = waitFor("complete", func(g ws) bool { return g.Done == 1 })
	testnet.SameTree(t, root, filepath.Join(e.downDir, "payload"))
	g = waitFor("done with the web seeds", func(g ws) bool { return g.Sending == 0 })
	if !slices.Equal(g.URLs, urls) {
		t.Errorf("after the download, webseeds = %q; want %q", g.URLs, urls)
	}
}
