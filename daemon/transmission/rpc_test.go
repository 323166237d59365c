package transmission

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v in %s", err, truncate(string(raw), 400))
	}
	return v
}

// addAndWait adds the env's torrent by metainfo and waits for it to finish.
func (e *env) addAndWait(t *testing.T) int {
	t.Helper()
	res, args := e.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(e.tor.Bytes())})
	if res != "success" {
		t.Fatalf("torrent-add: %s", res)
	}
	added := decode[struct {
		ID         int    `json:"id"`
		Name       string `json:"name"`
		HashString string `json:"hashString"`
	}](t, args["torrent-added"])
	if added.ID == 0 || added.Name != "payload" || added.HashString != hex.EncodeToString(e.tor.InfoHash[:]) {
		t.Fatalf("torrent-added = %+v", added)
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 30*time.Second)
	return added.ID
}

func TestTorrentGet(t *testing.T) {
	e := newEnv(t)
	id := e.addAndWait(t)
	hash := hex.EncodeToString(e.tor.InfoHash[:])

	// fields come back in the order asked; unknown-to-shoal keys are left out.
	_, args := e.call(t, "torrent-get", map[string]any{"ids": []any{hash},
		"fields": []string{"name", "id", "status", "percentDone", "pieceCount", "pieces", "totalSize", "files", "fileStats",
			"wanted", "priorities", "leftUntilDone", "eta", "peer-limit", "uploadRatio", "downloadDir"}})
	if !strings.HasPrefix(string(args["torrents"]), `[{"name":"payload","id":1,"status":6,"percentDone":1,`) {
		t.Errorf("torrents: %s", truncate(string(args["torrents"]), 300))
	}
	got := decode[[]map[string]any](t, args["torrents"])
	if len(got) != 1 {
		t.Fatalf("%d torrents", len(got))
	}
	g := got[0]
	if _, ok := g["peer-limit"]; ok {
		t.Error("peer-limit is answered, but shoal does not know it")
	}
	size := int64(300<<10 + 70<<10 + 123)
	if g["totalSize"] != float64(size) || g["leftUntilDone"] != float64(0) || g["eta"] != float64(-1) ||
		g["downloadDir"] != e.downDir || g["pieceCount"] != float64(24) {
		t.Errorf("torrent: %v", g)
	}
	bits, err := base64.StdEncoding.DecodeString(g["pieces"].(string))
	if err != nil || !slices.Equal(bits, []byte{0xff, 0xff, 0xff}) {
		t.Errorf("pieces = %x (%v), want 24 set bits", bits, err)
	}
	if w := g["wanted"].([]any); len(w) != 2 || w[0] != float64(1) {
		t.Errorf("wanted = %v", w)
	}

	// table format: a header row, then one row per torrent.
	_, args = e.call(t, "torrent-get", map[string]any{"fields": []string{"id", "name"}, "format": "table"})
	if string(args["torrents"]) != `[["id","name"],[1,"payload"]]` {
		t.Errorf("table: %s", args["torrents"])
	}
	// ids as one number, and a number that matches nothing.
	_, args = e.call(t, "torrent-get", map[string]any{"ids": id, "fields": []string{"id"}})
	if string(args["torrents"]) != `[{"id":1}]` {
		t.Errorf("ids=1: %s", args["torrents"])
	}
	_, args = e.call(t, "torrent-get", map[string]any{"ids": []int{42}, "fields": []string{"id"}})
	if string(args["torrents"]) != `[]` {
		t.Errorf("ids=[42]: %s", args["torrents"])
	}
	// An empty list names no torrent (only a missing "ids" means all).
	_, args = e.call(t, "torrent-get", map[string]any{"ids": []int{}, "fields": []string{"id"}})
	if string(args["torrents"]) != `[]` {
		t.Errorf("ids=[]: %s", args["torrents"])
	}

	// recently-active: the torrent just changed; once removed, its id is
	// reported under "removed".
	_, args = e.call(t, "torrent-get", map[string]any{"ids": "recently-active", "fields": []string{"id"}})
	if string(args["torrents"]) != `[{"id":1}]` || string(args["removed"]) != `[]` {
		t.Errorf("recently-active: %s removed %s", args["torrents"], args["removed"])
	}
	if res, _ := e.call(t, "torrent-remove", map[string]any{"ids": []int{id}}); res != "success" {
		t.Fatalf("torrent-remove: %s", res)
	}
	_, args = e.call(t, "torrent-get", map[string]any{"ids": "recently-active", "fields": []string{"id"}})
	if string(args["torrents"]) != `[]` || string(args["removed"]) != `[1]` {
		t.Errorf("recently-active after remove: %s removed %s", args["torrents"], args["removed"])
	}
	testnet.SameTree(t, e.payload, e.downDir+"/payload") // removed without delete-local-data: data kept
}

func TestTorrentSetFilesAndLimits(t *testing.T) {
	e := newEnv(t)
	res, _ := e.call(t, "torrent-add", map[string]any{"filename": e.torPath, "paused": true, "files-unwanted": []int{1}})
	if res != "success" {
		t.Fatalf("torrent-add paused with file 1 unwanted: %s", res)
	}
	prio := func() []swarm.Priority {
		ts, _ := testnet.Find(e.leecher, e.tor.InfoHash)
		var p []swarm.Priority
		for _, f := range ts.Files {
			p = append(p, f.Priority)
		}
		return p
	}
	testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 10*time.Second, "file 1 skipped, paused", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StatePaused && len(ts.Files) == 2 && ts.Files[1].Priority == swarm.PrioritySkip
	})
	// priority-high on an unwanted file leaves it unwanted; files-wanted
	// then priority-high in one call makes it wanted and high.
	if res, _ := e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "priority-high": []int{1}}); res != "success" {
		t.Fatal(res)
	}
	time.Sleep(300 * time.Millisecond)
	if p := prio(); p[1] != swarm.PrioritySkip {
		t.Errorf("priority-high on an unwanted file: %v", p)
	}
	if res, _ := e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "files-wanted": []int{}, "priority-high": []int{1}}); res != "success" {
		t.Fatal(res)
	}
	testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 10*time.Second, "file 1 high", func(ts swarm.TorrentSnapshot) bool {
		return ts.Files[1].Priority == swarm.PriorityHigh && ts.Files[0].Priority == swarm.PriorityNormal
	})
	if res, _ := e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "files-wanted": []int{5}}); !strings.Contains(res, "file index 5 out of range") {
		t.Errorf("file index 5: %q", res)
	}

	// Limits: kB/s in, B/s to the backend; off keeps the value for later.
	if res, _ := e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "downloadLimit": 50, "downloadLimited": true,
		"seedRatioLimit": 1.5, "seedRatioMode": 1}); res != "success" {
		t.Fatal(res)
	}
	if l, _ := e.b.Limits(e.tor.InfoHash); l != (TorrentLimits{DownLimitBps: 50000, SeedRatio: 1.5, SeedRatioMode: RatioOwn}) {
		t.Errorf("limits = %+v", l)
	}
	_, args := e.call(t, "torrent-get", map[string]any{"fields": []string{"downloadLimit", "downloadLimited", "seedRatioMode"}})
	if string(args["torrents"]) != `[{"downloadLimit":50,"downloadLimited":true,"seedRatioMode":1}]` {
		t.Errorf("limits in torrent-get: %s", args["torrents"])
	}
	e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "downloadLimited": false})
	e.call(t, "torrent-set", map[string]any{"ids": []int{1}, "downloadLimited": true})
	if l, _ := e.b.Limits(e.tor.InfoHash); l.DownLimitBps != 50000 {
		t.Errorf("limit back on: %+v, want the 50 kB/s set before", l)
	}

	// Start it: the wanted files download and match byte for byte.
	if res, _ := e.call(t, "torrent-start", nil); res != "success" {
		t.Fatal(res)
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 30*time.Second)
	testnet.SameTree(t, e.payload, e.downDir+"/payload")
}

func TestSessionCalls(t *testing.T) {
	e := newEnv(t)
	if res, _ := e.call(t, "session-set", map[string]any{"speed-limit-down": 300, "speed-limit-down-enabled": true,
		"seedRatioLimit": 2.5, "seedRatioLimited": true, "download-dir": "/srv/x"}); res != "success" {
		t.Fatal(res)
	}
	if s := e.b.Settings(); s != (Settings{DownloadDir: "/srv/x", DownLimitBps: 300000, SeedRatioLimit: 2.5}) {
		t.Errorf("settings = %+v", s)
	}
	_, args := e.call(t, "session-get", map[string]any{"fields": []string{"speed-limit-down", "speed-limit-down-enabled", "rpc-version", "download-dir-free-space"}})
	if string(args["speed-limit-down"]) != "300" || string(args["speed-limit-down-enabled"]) != "true" ||
		string(args["rpc-version"]) != "16" || string(args["download-dir-free-space"]) != "-1" || len(args) != 4 {
		t.Errorf("session-get: %v", args)
	}
	e.call(t, "session-set", map[string]any{"speed-limit-down-enabled": false, "seedRatioLimited": false})
	if s := e.b.Settings(); s.DownLimitBps != 0 || s.SeedRatioLimit != 0 {
		t.Errorf("limits off: %+v", s)
	}
	_, args = e.call(t, "session-get", nil)
	if string(args["speed-limit-down"]) != "300" || string(args["seedRatioLimit"]) != "2.5" || string(args["seedRatioLimited"]) != "false" {
		t.Errorf("remembered values: down %s ratio %s", args["speed-limit-down"], args["seedRatioLimit"])
	}

	_, args = e.call(t, "free-space", map[string]any{"path": e.downDir})
	if string(args["path"]) != `"`+e.downDir+`"` || decode[int64](t, args["size-bytes"]) <= 0 {
		t.Errorf("free-space: %v", args)
	}
	if res, _ := e.call(t, "free-space", map[string]any{"path": "/no/such/dir"}); !strings.Contains(res, "no such file") {
		t.Errorf("free-space of a missing dir: %q", res)
	}
	// No peer has connected to the leecher yet, so shoal cannot say the port is open.
	if _, args = e.call(t, "port-test", nil); string(args["port-is-open"]) != "false" {
		t.Errorf("port-test: %v", args)
	}
	_, args = e.call(t, "session-stats", nil)
	if string(args["torrentCount"]) != "0" || args["current-stats"] == nil {
		t.Errorf("session-stats: %v", args)
	}
}

func TestTorrentAddSources(t *testing.T) {
	e := newEnv(t)
	// By URL: the backend fetches it.
	files := httptest.NewServer(http.FileServer(http.Dir(strings.TrimSuffix(e.torPath, "/payload.torrent"))))
	t.Cleanup(files.Close)
	res, args := e.call(t, "torrent-add", map[string]any{"filename": files.URL + "/payload.torrent", "download-dir": e.downDir})
	if res != "success" || args["torrent-added"] == nil {
		t.Fatalf("add by URL: %s %v", res, args)
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 30*time.Second)
	// The same torrent again, as a magnet: a duplicate, named, not an error.
	res, args = e.call(t, "torrent-add", map[string]any{"filename": e.tor.Magnet()})
	if res != "success" || !strings.Contains(string(args["torrent-duplicate"]), `"id":1`) {
		t.Fatalf("duplicate: %s %v", res, args)
	}
	// The backend's own errors come back as the result text.
	if res, _ := e.call(t, "torrent-verify", map[string]any{"ids": []int{1}}); !strings.Contains(res, "torrent 1: verify: not supported by shoal yet") {
		t.Errorf("verify: %q", res)
	}
	if res, _ := e.call(t, "torrent-add", map[string]any{"filename": "/no/such.torrent"}); !strings.Contains(res, "no such file") {
		t.Errorf("missing file: %q", res)
	}
}

// TestConcurrentClients has several remotes poll and change things at once
// while a torrent downloads: the race detector watches the handler's
// shared state (activity, remembered limits).
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t)
	if res, _ := e.call(t, "torrent-add", map[string]any{"filename": e.torPath}); res != "success" {
		t.Fatal(res)
	}
	calls := []struct {
		method string
		args   any
	}{
		{"torrent-get", map[string]any{"ids": "recently-active", "fields": []string{"id", "status", "percentDone", "peers", "trackerStats"}}},
		{"torrent-get", map[string]any{"fields": []string{"id", "name", "pieces", "fileStats"}, "format": "table"}},
		{"session-get", nil},
		{"session-stats", nil},
		{"session-set", map[string]any{"speed-limit-up": 500, "speed-limit-up-enabled": false}},
		{"torrent-set", map[string]any{"ids": []int{1}, "uploadLimit": 80, "uploadLimited": false}},
		{"port-test", nil},
	}
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 30 {
				c := calls[(w+i)%len(calls)]
				if res, _, err := e.try(c.method, c.args); err != nil || res != "success" {
					t.Errorf("%s: %q %v", c.method, res, err)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 30*time.Second)
	testnet.SameTree(t, e.payload, e.downDir+"/payload")
}
