package swarm_test

import (
	"path/filepath"
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
