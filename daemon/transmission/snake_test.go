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

// Transmission 4.1's JSON-RPC 2.0 envelope: params for arguments, id
// echoed, the result or a coded error in place of "result": "success".
func TestRPC41_JSONRPC(t *testing.T) {
	e := newEnv(t)
	post := func(body string) (int, map[string]json.RawMessage) {
		t.Helper()
		code, b := e.post(t, []byte(body), e.h.sessionID)
		if code == 204 {
			return code, nil
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return code, out
	}
	code, out := post(`{"jsonrpc":"2.0","method":"session_get","params":{"fields":["rpc_version","peer_limit_per_torrent"]},"id":"a1"}`)
	if code != 200 || string(out["jsonrpc"]) != `"2.0"` || string(out["id"]) != `"a1"` || out["error"] != nil {
		t.Fatalf("session_get: %d %v", code, out)
	}
	if res := decodeAs[map[string]any](t, out["result"]); res["rpc_version"] != float64(16) || len(res) != 2 {
		t.Errorf("session_get result: %v", res)
	}
	// A method by its old name answers in snake_case too: JSON-RPC is 4.1's.
	_, out = post(`{"jsonrpc":"2.0","method":"torrent-add","params":{"metainfo":"` + base64.StdEncoding.EncodeToString(e.tor.Bytes()) + `"},"id":7}`)
	if added := decodeAs[map[string]map[string]any](t, out["result"])["torrent_added"]; added["hash_string"] == nil || string(out["id"]) != "7" {
		t.Errorf("torrent-add over JSON-RPC: %v", out)
	}
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"jsonrpc":"2.0","method":"torrent_explode","id":1}`, rpcMethodNotFound},
		{`{"jsonrpc":"2.0","method":"torrent_get","params":{"fields":["id"],"bogus":1},"id":2}`, rpcInvalidParams},
		{`{"jsonrpc":"2.0","method":"torrent_get","params":{"fields":["no_such_field"]},"id":3}`, rpcCallFailed},
		{`{"jsonrpc":"1.0","method":"torrent_get","id":4}`, rpcInvalidRequest},
	} {
		_, out := post(c.body)
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    struct {
				ErrorString string `json:"error_string"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out["error"], &e); err != nil || e.Code != c.code || e.Message == "" || e.Data.ErrorString == "" || out["result"] != nil {
			t.Errorf("%s: error %s, want code %d with a message", c.body, out["error"], c.code)
		}
	}
	// A notification (no id) gets no answer.
	if code, _ := post(`{"jsonrpc":"2.0","method":"torrent_start","params":{"ids":[1]}}`); code != 204 {
		t.Errorf("notification: HTTP %d, want 204", code)
	}
}
