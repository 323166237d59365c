package swarm_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// webPayload writes a multi-file payload whose names need escaping in a
// URL, and returns the folder holding it and the torrent, with webSeeds
// as its url-list.
func webPayload(t *testing.T, pieceLen int64, sizes ...int) (src, root string, tor *pieces.Torrent) {
	t.Helper()
	src = t.TempDir()
	names := []string{"a b.bin", "sub/ü#?%.bin", "sub/empty", "z.bin"}
	var files []testnet.File
	for k, n := range sizes {
		files = append(files, testnet.File{Path: names[k%len(names)], Size: n})
	}
	root = testnet.WriteTree(t, filepath.Join(src, "pay load"), 7, files...)
	return src, root, testnet.Create(t, root, pieceLen)
}

// withWebSeeds is tor with url-list set, through bytes as a user's file.
func withWebSeeds(t *testing.T, tor *pieces.Torrent, urls ...string) *pieces.Torrent {
	t.Helper()
	cp := *tor
	cp.WebSeeds = urls
	out, err := pieces.Parse(cp.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func webSeedOf(t *testing.T, ts swarm.TorrentSnapshot, url string) swarm.WebSeedSnapshot {
	t.Helper()
	for _, ws := range ts.WebSeeds {
		if ws.URL == url {
			return ws
		}
	}
	t.Fatalf("no web seed %s in %+v", url, ts.WebSeeds)
	return swarm.WebSeedSnapshot{}
}

// TestWebSeed_NginxAlone: with no peer at all, a multi-file torrent
// downloads from nginx alone, byte for byte.
func TestWebSeed_NginxAlone(t *testing.T) {
	src, root, tor := webPayload(t, 32<<10, 1<<20+123, 300_001, 0, 77)
	base := testnet.StartNginx(t, src)
	tor = withWebSeeds(t, tor, base)
	s := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
	if err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
	ws := webSeedOf(t, ts, base)
	if ws.Downloaded < tor.Info.Length || ws.State != swarm.WebSeedActive || ws.BadPieces != 0 {
		t.Errorf("web seed = %+v, want active with at least %d bytes", ws, tor.Info.Length)
	}
	if ts.PeersConnected != 0 || len(ts.PeerTotals) != 0 {
		t.Errorf("peers = %d, totals %+v: want none", ts.PeersConnected, ts.PeerTotals)
	}
}

// TestWebSeed_SingleFile: a single-file torrent's URL names the file, or a
// folder holding it when it ends in '/'.
func TestWebSeed_SingleFile(t *testing.T) {
	src := t.TempDir()
	file := filepath.Join(testnet.WriteTree(t, src, 3, testnet.File{Path: "one file.bin", Size: 200_000}), "one file.bin")
	base := testnet.StartNginx(t, src)
	plain := testnet.Create(t, file, 16<<10)
	for name, url := range map[string]string{"folder": base, "file": base + "one%20file.bin"} {
		t.Run(name, func(t *testing.T) {
			tor := withWebSeeds(t, plain, url)
			s := testnet.StartSession(t, swarm.Config{})
			dst := t.TempDir()
			ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
			if err != nil {
				t.Fatal(err)
			}
			testnet.WaitComplete(t, s, ih, 60*time.Second)
			testnet.SameTree(t, src, dst)
		})
	}
}

// TestWebSeed_WithPeer: a peer seed and nginx both contribute. The peer
// is held to 1 MiB/s so that it cannot finish before the web seed's
// first request.
func TestWebSeed_WithPeer(t *testing.T) {
	src, root, tor := webPayload(t, 64<<10, 6<<20, 2<<20+5)
	base := testnet.StartNginx(t, src)
	tor = withWebSeeds(t, tor, base)
	s1, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 1 << 20})
	s2 := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s2, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
	ws := webSeedOf(t, ts, base)
	var fromPeers int64
	for _, pt := range ts.PeerTotals {
		fromPeers += pt.Downloaded
	}
	if ws.Downloaded == 0 || fromPeers == 0 {
		t.Errorf("from the web seed %d bytes, from peers %d: want both", ws.Downloaded, fromPeers)
	}
	t.Logf("web seed %d bytes, peer %d bytes", ws.Downloaded, fromPeers)
}

// TestWebSeed_Magnet: a magnet link's ws= web seed is used once the info
// arrives from a peer, beside that peer (held to 512 KiB/s so that it
// cannot finish first).
func TestWebSeed_Magnet(t *testing.T) {
	src, root, tor := webPayload(t, 32<<10, 3<<20)
	base := testnet.StartNginx(t, src)
	s1, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 512 << 10})
	m, err := pieces.ParseMagnet(withWebSeeds(t, tor, base).Magnet())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.WebSeeds) != 1 {
		t.Fatalf("magnet %s: web seeds %q", m, m.WebSeeds)
	}
	s2 := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Magnet: m, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s2, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
	if ws := webSeedOf(t, ts, base); ws.Downloaded == 0 {
		t.Errorf("the magnet's web seed gave nothing: %+v", ws)
	}
}

// TestWebSeed_RedirectToAnotherWebSeed: a redirect to another host is
// followed when that host is one of the torrent's own web seeds.
func TestWebSeed_RedirectToAnotherWebSeed(t *testing.T) {
	src, root, tor := webPayload(t, 16<<10, 200_000)
	base := testnet.StartNginx(t, src)
	other := strings.Replace(base, "127.0.0.1", "localhost", 1)
	var redirected atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, other+strings.TrimPrefix(r.URL.EscapedPath(), "/"), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	// The redirecting one as "localhost" names nginx's host, and nginx
	// is also listed under that name.
	front := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/"
	tor = withWebSeeds(t, tor, front, other)
	s := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst})
	if err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "pay load"))
	// Listed first, it gets the first job, which holds every piece.
	if ws := webSeedOf(t, ts, front); ws.State != swarm.WebSeedActive || redirected.Load() == 0 || ws.Downloaded == 0 {
		t.Errorf("redirecting web seed %+v after %d redirects", ws, redirected.Load())
	}
}
