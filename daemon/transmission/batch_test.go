package transmission

import (
	"encoding/json"
	"strings"
	"testing"
)

type rpcOut struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

// TestRPC41_Batch: a JSON-RPC batch is answered as an array, in order,
// one answer per request that has an id, errors in place; before, an
// array was "malformed JSON request" with HTTP 400.
func TestRPC41_Batch(t *testing.T) {
	e := newEnv(t)
	batch := func(body string) (int, []rpcOut) {
		t.Helper()
		code, b := e.post(t, []byte(body), e.h.sessionID)
		if code == 204 {
			return code, nil
		}
		var out []rpcOut
		if err := json.Unmarshal(b, &out); err != nil {
			var one rpcOut
			if json.Unmarshal(b, &one) == nil {
				out = []rpcOut{one} // a whole-batch error is one object
			} else {
				t.Fatalf("%s: HTTP %d %s: %v", body, code, b, err)
			}
		}
		return code, out
	}
	code, out := batch(`[
		{"jsonrpc":"2.0","method":"session_get","params":{"fields":["rpc_version"]},"id":1},
		{"jsonrpc":"2.0","method":"torrent_start","params":{"ids":[]}},
		{"jsonrpc":"2.0","method":"torrent_explode","id":"x"},
		{"method":"session-get","tag":3},
		42,
		{"jsonrpc":"2.0","method":"torrent_get","params":{"fields":["id"]},"id":2}
	]`)
	if code != 200 || len(out) != 5 {
		t.Fatalf("batch: HTTP %d, %d answers %+v; want 200 and 5 (the notification gets none)", code, len(out), out)
	}
	for k, want := range []struct {
		id   string
		code int
	}{{"1", 0}, {`"x"`, rpcMethodNotFound}, {"null", rpcInvalidRequest}, {"null", rpcInvalidRequest}, {"2", 0}} {
		got := out[k]
		switch {
		case string(got.ID) != want.id:
			t.Errorf("answer %d: id %s, want %s", k, got.ID, want.id)
		case want.code == 0 && (got.Error != nil || got.Result == nil):
			t.Errorf("answer %d: error %+v, want a result", k, got.Error)
		case want.code != 0 && (got.Error == nil || got.Error.Code != want.code || got.Error.Message == ""):
			t.Errorf("answer %d: error %+v, want code %d with a message", k, got.Error, want.code)
		}
	}
	if !strings.Contains(string(out[0].Result), `"rpc_version":16`) {
		t.Errorf("session_get in a batch: %s", out[0].Result)
	}
	if code, _ := batch(`[{"jsonrpc":"2.0","method":"torrent_start","params":{"ids":[]}}]`); code != 204 {
		t.Errorf("a batch of notifications: HTTP %d, want 204", code)
	}
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"jsonrpc":"2.0","method":"session_get","id":1},`, maxBatch+1), ",") + "]"
	for body, want := range map[string]int{
		`[]`:        rpcInvalidRequest,
		`[{"jso`:    rpcParseError,
		many:        rpcInvalidRequest,
		`[[[[1]]]]`: rpcInvalidRequest,
	} {
		_, out := batch(body)
		if len(out) != 1 || out[0].Error == nil || out[0].Error.Code != want || string(out[0].ID) != "null" {
			t.Errorf("%.40s: %+v, want one error with code %d", body, out, want)
		}
	}
}
