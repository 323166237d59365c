package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
)

// TestCreate_WebSeed: --web-seed writes url-list in order, and the magnet
// link create prints carries them as ws=.
func TestCreate_WebSeed(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	writeTree(t, data, map[string]int{"a": 100, "b/c": 200})
	tor := filepath.Join(dir, "d.torrent")
	code, out, errs := shoalRun(t, "create", data, "-o", tor, "--web-seed", "http://127.0.0.1:8080/pub/", "--web-seed", "https://mirror.example/x/")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	got, err := pieces.Load(tor)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://127.0.0.1:8080/pub/", "https://mirror.example/x/"}; !slices.Equal(got.WebSeeds, want) {
		t.Fatalf("url-list = %q, want %q", got.WebSeeds, want)
	}
	if !strings.Contains(out, "&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fpub%2F&ws=https%3A%2F%2Fmirror.example%2Fx%2F") {
		t.Fatalf("magnet printed without ws=:\n%s", out)
	}
	if code, out, errs := shoalRun(t, "info", tor); code != 0 || !regexp.MustCompile(`Web seed: +https://mirror.example/x/\n`).MatchString(out) {
		t.Fatalf("info: exit %d: %s%s", code, out, errs)
	}
}

// TestGet_WebSeedOnly: a torrent made with --web-seed downloads from
// nginx with no peer, tracker or DHT at all; get exits 0 on verified
// bytes and its summary credits the web seed.
func TestGet_WebSeedOnly(t *testing.T) {
	dir := t.TempDir()
	pub := filepath.Join(dir, "pub")
	data := filepath.Join(pub, "data set")
	writeTree(t, data, map[string]int{"a.bin": 700_000, "sub/b c.bin": 123_457})
	base := testnet.StartNginx(t, pub)
	tor := filepath.Join(dir, "d.torrent")
	createTorrent(t, data, tor, "--web-seed", base, "--piece-length", "16KiB")
	out := filepath.Join(dir, "out")
	code, stdout, errs := shoalRun(t, "get", tor, "-o", out, "--json", "--no-dht", "--listen", "127.0.0.1:0",
		"--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout, errs)
	}
	sameTree(t, data, filepath.Join(out, "data set"))
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum struct {
		Complete bool `json:"complete"`
		WebSeeds []struct {
			URL        string `json:"url"`
			Downloaded int64  `json:"downloaded"`
			State      string `json:"state"`
		} `json:"webSeeds"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || len(sum.WebSeeds) != 1 || sum.WebSeeds[0].URL != base || sum.WebSeeds[0].Downloaded < 823_457 ||
		sum.WebSeeds[0].State != "active" {
		t.Fatalf("summary: %s", lines[len(lines)-1])
	}
}

// TestSeed_WebSeedNotFromCache: seeding a folder again with --web-seed
// shares a torrent that has it, not the one cached without it.
func TestSeed_WebSeedNotFromCache(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 50_000})
	state := filepath.Join(dir, "state")
	seedOnce := func(args ...string) string {
		p := shoalStart(t, append([]string{"seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht", "--state-dir", state,
			"--progress-every", "100ms"}, args...)...)
		p.waitFor(t, ` seeding `, 30*time.Second)
		p.stop()
		<-p.done
		return p.out.String()
	}
	if out := seedOnce(); strings.Contains(out, "ws=") {
		t.Fatalf("seed without --web-seed printed a ws=:\n%s", out)
	}
	if out := seedOnce("--web-seed", "http://127.0.0.1:1/pub/"); !strings.Contains(out, "ws=http%3A%2F%2F127.0.0.1%3A1%2Fpub%2F") {
		t.Fatalf("seed --web-seed shared the cached torrent without it:\n%s", out)
	}
}

// TestGet_DroppedWebSeedBesidePeer: a web seed dropped (here at once, for
// a 404) is the web seed's failure, not the download's: get goes on with
// its peer and exits 0.
func TestGet_DroppedWebSeedBesidePeer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	writeTree(t, data, map[string]int{"a.bin": 1_500_000})
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	tor := filepath.Join(dir, "d.torrent")
	createTorrent(t, data, tor, "--web-seed", srv.URL+"/")
	p := shoalStart(t, "seed", tor, "--data", dir, "--json", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir())
	peer := p.waitFor(t, `"magnetWithPeer":"[^"]*x\.pe=([^"&]+)`, 30*time.Second)[1]
	peer, _ = url.QueryUnescape(peer)
	out := filepath.Join(dir, "out")
	// 200 KiB/s: the download outlasts the drop by seconds.
	code, stdout, errs := shoalRun(t, "get", tor, "-o", out, "--json", "--no-dht", "--listen", "127.0.0.1:0",
		"--peer", peer, "--down-limit", "200KiB", "--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("get: exit %d\n%s\n%s", code, stdout, errs)
	}
	sameTree(t, data, filepath.Join(out, "d"))
	if !strings.Contains(stdout, `"event":"web-seed-dropped"`) || !strings.Contains(stdout, `"state":"dropped","error":"`+srv.URL) {
		t.Errorf("no web-seed-dropped event, or the summary does not say why:\n%s", stdout)
	}
}
