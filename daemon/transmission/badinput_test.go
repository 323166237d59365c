package transmission

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// rpcError decodes an error answer and checks it is JSON with a result.
func rpcError(t *testing.T, what string, body []byte) string {
	t.Helper()
	var r struct {
		Result string `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Result == "" {
		t.Fatalf("%s: the answer is not a JSON error (%v): %s", what, err, truncate(string(body), 300))
	}
	return r.Result
}

// stillServes checks the handler answers a good call after bad ones.
func stillServes(t *testing.T, e *env) {
	t.Helper()
	if res, args := e.call(t, "session-get", nil); res != "success" || args["version"] == nil {
		t.Fatalf("session-get after bad input: %q %v", res, args)
	}
}

func TestSessionIDDance(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"method":"session-get"}`)
	for _, id := range []string{"", "stale-or-forged"} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/transmission/rpc/", bytes.NewReader(body))
		if id != "" {
			req.Header.Set(SessionIDHeader, id)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("session id %q: HTTP %d, want 409", id, resp.StatusCode)
		}
		if got := resp.Header.Get(SessionIDHeader); got != e.h.sessionID {
			t.Fatalf("409 carries session id %q, want the handler's", got)
		}
		if msg := rpcError(t, "409", b); !strings.Contains(msg, SessionIDHeader) {
			t.Errorf("409 message %q does not name the header", msg)
		}
	}
	// The id from the 409 works, on both paths.
	code, b := e.post(t, body, e.h.sessionID)
	if code != http.StatusOK || rpcError(t, "200", b) != "success" {
		t.Fatalf("with the session id: HTTP %d %s", code, b)
	}
}

func TestAuthorizeHook(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Authorize = func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == "ann" && p == "s3cret"
	}
	for _, tc := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"ann", "wrong", 401}, {"ann", "s3cret", 200}} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/transmission/rpc", strings.NewReader(`{"method":"session-stats"}`))
		req.Header.Set(SessionIDHeader, e.h.sessionID)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("%s:%s: HTTP %d, want %d", tc.user, tc.pass, resp.StatusCode, tc.want)
		}
		if tc.want == 401 {
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge")
			}
			rpcError(t, "401", b)
		}
	}

	// The web UI's files are behind the same check.
	web := t.TempDir()
	writeFile(t, web+"/index.html", []byte("<title>web ui</title>"))
	e.h.cfg.WebDir = web
	mux := http.NewServeMux()
	e.h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, auth := range []bool{false, true} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/transmission/web/", nil)
		if auth {
			req.SetBasicAuth("ann", "s3cret")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[bool]int{false: 401, true: 200}[auth]; resp.StatusCode != want || auth && !strings.Contains(string(b), "web ui") {
			t.Errorf("web UI with credentials %v: HTTP %d %q, want %d", auth, resp.StatusCode, b, want)
		}
	}
}

// zeros is an endless body of '0' bytes, so a 100 MiB request costs no
// memory in the test.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)

	// A 100 MiB body: refused at the cap, and the handler keeps serving.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/transmission/rpc", io.LimitReader(zeros{}, 100<<20))
	req.ContentLength = 100 << 20
	req.Header.Set(SessionIDHeader, e.h.sessionID)
	if resp, err := e.srv.Client().Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("100 MiB body: HTTP %d, want 413", resp.StatusCode)
		}
		if msg := rpcError(t, "413", b); !strings.Contains(msg, "request body over") {
			t.Errorf("413 message: %q", msg)
		}
	} else {
		t.Logf("100 MiB body: the server hung up while the client still sent: %v", err)
	}
	stillServes(t, e)

	for _, tc := range []struct {
		name string
		body string
		code int
		want string
	}{
		{"malformed JSON", `{"method": "session-get"`, 400, "malformed JSON"},
		{"not an object", `"session-get"`, 400, "malformed JSON"},
		{"deeply nested", `{"method":"torrent-get","arguments":{"fields":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`, 400, "nested deeper"},
		{"no method", `{"arguments":{}}`, 400, `no "method"`},
		{"tag not a number", `{"method":"session-get","tag":"x"}`, 400, `"tag" must be a number`},
		{"arguments not an object", `{"method":"session-get","arguments":[1]}`, 400, `"arguments" must be an object`},
		{"unknown method", `{"method":"torrent-explode"}`, 200, "method name not recognized"},
		{"unsupported method", `{"method":"session-close"}`, 200, "not supported by shoal"},
		{"unknown field", `{"method":"torrent-get","arguments":{"fields":["id","noSuchField"]}}`, 200, `unknown field "noSuchField"`},
		{"no fields", `{"method":"torrent-get","arguments":{}}`, 200, `needs "fields"`},
		{"unknown argument", `{"method":"torrent-set","arguments":{"ids":[1],"explode":true}}`, 200, `argument "explode" is not supported`},
		{"wrong type", `{"method":"torrent-set","arguments":{"downloadLimit":"fast"}}`, 200, `argument "downloadLimit"`},
		{"bad ids", `{"method":"torrent-stop","arguments":{"ids":["nothex"]}}`, 200, `neither a torrent number nor a 40-digit hex infohash`},
		{"unknown id", `{"method":"torrent-stop","arguments":{"ids":[99]}}`, 200, "no torrent has id 99"},
		{"add without source", `{"method":"torrent-add","arguments":{}}`, 200, `needs "filename"`},
		{"add bad base64", `{"method":"torrent-add","arguments":{"metainfo":"***"}}`, 200, "not base64"},
		{"add garbage torrent", `{"method":"torrent-add","arguments":{"metainfo":"aGVsbG8="}}`, 200, ""},
		{"negative limit", `{"method":"session-set","arguments":{"speed-limit-down":-5}}`, 200, "cannot be negative"},
		{"turtle", `{"method":"session-set","arguments":{"alt-speed-enabled":true}}`, 200, "not supported by shoal"},
	} {
		code, b := e.post(t, []byte(tc.body), e.h.sessionID)
		msg := rpcError(t, tc.name, b)
		if code != tc.code || msg == "success" || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: HTTP %d %q; want HTTP %d and a result containing %q", tc.name, code, msg, tc.code, tc.want)
		}
	}

	// GET is refused (after the session id check, as Transmission does).
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/transmission/rpc", nil)
	req.Header.Set(SessionIDHeader, e.h.sessionID)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d, want 405", resp.StatusCode)
	}
	stillServes(t, e)
}
