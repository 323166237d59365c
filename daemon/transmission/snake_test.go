package transmission

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

func TestSnakeOf(t *testing.T) {
	for in, want := range map[string]string{
		"percentDone": "percent_done", "hashString": "hash_string", "download-dir": "download_dir",
		"downloadDir": "download_dir", "isUTP": "is_utp", "fromDht": "from_dht", "peer-limit-global": "peer_limit_global",
		"seedRatioLimit": "seed_ratio_limit", "rpc-version": "rpc_version", "id": "id", "percent_done": "percent_done",
		"webseedsSendingToUs": "webseeds_sending_to_us", "torrent-added": "torrent_added",
	} {
		if got := snakeOf(in); got != want {
			t.Errorf("snakeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func decodeAs[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}

// Transmission 4.1's snake_case names (rpc-spec, rpc-version 18) are
// accepted for methods, arguments and fields, and a method named so is
// answered with snake_case keys; the old names keep their old answers.
func TestRPC41_SnakeCaseNames(t *testing.T) {
	e := newEnv(t)
	res, args := e.call(t, "torrent_add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(e.tor.Bytes()),
		"download_dir": e.downDir})
	if res != "success" || args["torrent_added"] == nil {
		t.Fatalf("torrent_add: %s %v", res, args)
	}
	added := decodeAs[map[string]any](t, args["torrent_added"])
	if added["hash_string"] != hex.EncodeToString(e.tor.InfoHash[:]) {
		t.Errorf("torrent_added: %v", added)
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 60*time.Second)

	res, args = e.call(t, "torrent_get", map[string]any{"ids": []int{1},
		"fields": []string{"id", "hash_string", "percent_done", "file_stats", "download_dir", "peers_from", "is_private"}})
	if res != "success" {
		t.Fatalf("torrent_get: %s", res)
	}
	ts := decodeAs[[]map[string]json.RawMessage](t, args["torrents"])
	if len(ts) != 1 {
		t.Fatalf("torrent_get: %d torrents", len(ts))
	}
	var keys []string
	for k := range ts[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"download_dir", "file_stats", "hash_string", "id", "is_private", "peers_from", "percent_done"}; !slices.Equal(keys, want) {
		t.Errorf("torrent_get keys %v, want %v", keys, want)
	}
	if string(ts[0]["percent_done"]) != "1" || string(ts[0]["download_dir"]) != `"`+e.downDir+`"` {
		t.Errorf("torrent_get: percent_done %s, download_dir %s", ts[0]["percent_done"], ts[0]["download_dir"])
	}
	fs := decodeAs[[]map[string]any](t, ts[0]["file_stats"])
	if _, ok := fs[0]["bytes_completed"]; !ok {
		t.Errorf("file_stats keys not in snake_case: %v", fs[0])
	}
	if _, ok := decodeAs[map[string]any](t, ts[0]["peers_from"])["from_tracker"]; !ok {
		t.Errorf("peers_from keys not in snake_case: %s", ts[0]["peers_from"])
	}

	// The table format's header row too.
	_, args = e.call(t, "torrent_get", map[string]any{"fields": []string{"id", "rate_download"}, "format": "table"})
	if table := decodeAs[[][]any](t, args["torrents"]); len(table) != 2 || table[0][1] != "rate_download" {
		t.Errorf("table: %v", table)
	}

	// Arguments of torrent_set in snake_case, seen by the old names' reader.
	if res, _ := e.call(t, "torrent_set", map[string]any{"ids": []int{1}, "files_unwanted": []int{1}}); res != "success" {
		t.Fatalf("torrent_set: %s", res)
	}
	_, args = e.call(t, "torrent-get", map[string]any{"ids": []int{1}, "fields": []string{"wanted", "percent_done"}})
	old := decodeAs[[]map[string]json.RawMessage](t, args["torrents"])[0]
	if string(old["wanted"]) != "[1,0]" || old["percentDone"] == nil || old["percent_done"] != nil {
		t.Errorf("torrent-get with a 4.1 field name: %v (want the old keys: wanted [1,0], percentDone)", old)
	}

	_, args = e.call(t, "session_get", map[string]any{"fields": []string{"peer_limit_per_torrent", "rpc_version", "speed_limit_down_enabled"}})
	if len(args) != 3 || string(args["rpc_version"]) != "16" || args["peer_limit_per_torrent"] == nil || args["speed_limit_down_enabled"] == nil {
		t.Errorf("session_get: %v", args)
	}
	if res, _ := e.call(t, "session_set", map[string]any{"speed_limit_down": 77, "speed_limit_down_enabled": true}); res != "success" {
		t.Fatalf("session_set: %s", res)
	}
	if _, args = e.call(t, "session-get", map[string]any{"fields": []string{"speed-limit-down"}}); string(args["speed-limit-down"]) != "77" {
		t.Errorf("session-get after session_set: %v", args)
	}
	if res, _ := e.call(t, "torrent_stop", map[string]any{"ids": []int{1}}); res != "success" {
		t.Fatalf("torrent_stop: %s", res)
	}
	testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 10*time.Second, "paused", func(ts swarm.TorrentSnapshot) bool { return ts.State == swarm.StatePaused })
	if res, _ := e.call(t, "torrent_set", map[string]any{"ids": []int{1}, "no_such_thing": 1}); res == "success" {
		t.Error("torrent_set took an argument shoal does not know")
	}
}
