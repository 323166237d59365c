package transmission

import (
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSequentialDownload: torrent-add's and torrent-set's
// sequentialDownload (sequential_download in 4.1's names) reach the
// engine, and torrent-get reports it; before, the field was unknown.
func TestSequentialDownload(t *testing.T) {
	e := newEnv(t)
	res, _ := e.call(t, "torrent-add", map[string]any{"filename": e.torPath, "paused": true, "sequentialDownload": true})
	if res != "success" {
		t.Fatalf("torrent-add: %s", res)
	}
	testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 10*time.Second, "sequential", func(ts swarm.TorrentSnapshot) bool { return ts.Sequential })
	get := func(method, field string) string {
		t.Helper()
		_, args := e.call(t, method, map[string]any{"ids": []int{1}, "fields": []string{field}})
		return string(args["torrents"])
	}
	if got := get("torrent-get", "sequentialDownload"); got != `[{"sequentialDownload":true}]` {
		t.Errorf("torrent-get: %s", got)
	}
	if res, _ := e.call(t, "torrent_set", map[string]any{"ids": []int{1}, "sequential_download": false}); res != "success" {
		t.Fatalf("torrent_set: %s", res)
	}
	if ts, _ := testnet.Find(e.leecher, e.tor.InfoHash); ts.Sequential {
		t.Error("still sequential after torrent_set sequential_download false")
	}
	if got := get("torrent_get", "sequential_download"); got != `[{"sequential_download":false}]` {
		t.Errorf("torrent_get: %s", got)
	}
}
