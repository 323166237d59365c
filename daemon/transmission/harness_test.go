package transmission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is a handler over a real leecher session, with a real seed of one
// payload behind a tracker, all on loopback.
type env struct {
	srv      *httptest.Server
	h        *Handler
	b        *sessionBackend
	leecher  *swarm.Session
	tor      *pieces.Torrent
	torPath  string // the .torrent file
	payload  string // the seed's copy of the payload
	downDir  string // the leecher's download dir
	seedAddr string
}

func newEnv(t *testing.T, files ...testnet.File) *env {
	t.Helper()
	return newEnvWith(t, swarm.Config{NoPEX: true}, files...)
}

// newEnvWith is newEnv with the seed's session configured by seedCfg.
func newEnvWith(t *testing.T, seedCfg swarm.Config, files ...testnet.File) *env {
	t.Helper()
	if len(files) == 0 {
		files = []testnet.File{{Path: "a.bin", Size: 300 << 10}, {Path: "sub/b.bin", Size: 70<<10 + 123}}
	}
	tr := testnet.StartTracker(t)
	root := t.TempDir()
	payload := testnet.WriteTree(t, filepath.Join(root, "payload"), 7, files...)
	tor := testnet.Create(t, payload, 16<<10, tr.URL)
	torPath := filepath.Join(root, "payload.torrent")
	writeFile(t, torPath, tor.Bytes())

	seed := testnet.StartSession(t, seedCfg)
	if _, err := seed.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: root}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, seed, tor.InfoHash, 20*time.Second)

	leecher := testnet.StartSession(t, swarm.Config{NoPEX: true})
	e := &env{leecher: leecher, tor: tor, torPath: torPath, payload: payload,
		downDir: t.TempDir(), seedAddr: seed.Addr().String()}
	e.b = newSessionBackend(leecher, e.downDir)
	h, err := New(Config{Backend: e.b, Version: "shoal-test", Logger: testnet.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	mux := http.NewServeMux()
	h.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// call sends one RPC with the right session id and decodes the answer.
func (e *env) call(t *testing.T, method string, args any) (result string, out map[string]json.RawMessage) {
	t.Helper()
	result, out, err := e.try(method, args)
	if err != nil {
		t.Fatal(err)
	}
	return result, out
}

// try is call for goroutines other than the test's: it returns its errors.
func (e *env) try(method string, args any) (string, map[string]json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"method": method, "arguments": args, "tag": 7})
	if err != nil {
		return "", nil, err
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/transmission/rpc", bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set(SessionIDHeader, e.h.sessionID)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("%s: HTTP %d: %s", method, resp.StatusCode, b)
	}
	var r struct {
		Result    string                     `json:"result"`
		Arguments map[string]json.RawMessage `json:"arguments"`
		Tag       int                        `json:"tag"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return "", nil, fmt.Errorf("%s: %v in %s", method, err, b)
	}
	if r.Tag != 7 {
		return "", nil, fmt.Errorf("%s: tag %d, want 7 echoed", method, r.Tag)
	}
	return r.Result, r.Arguments, nil
}

func (e *env) post(t *testing.T, body []byte, sessionID string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/transmission/rpc", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sessionID != "" {
		req.Header.Set(SessionIDHeader, sessionID)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
