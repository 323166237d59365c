package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// testDaemon runs a real Session with a Daemon over it; HTTP clients see
// it through Guard on a loopback httptest server.
func newTestDaemon(t *testing.T, allowed string, auth HTTPAuth) (*Daemon, *httptest.Server) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	d, err := New(Config{Session: s, Library: &Library{Dir: t.TempDir()}, DownloadDir: allowed, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { d.Run(ctx) })
	g, err := Guard(d.Handler(Remote), netip.MustParseAddrPort("127.0.0.1:1"), auth)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
	})
	return d, srv
}

// makeTorrent writes a small folder under dir and returns its .torrent.
func makeTorrent(t *testing.T, dir, name string) *pieces.Torrent {
	t.Helper()
	data := filepath.Join(dir, name)
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(data, "f.bin"), bytes.Repeat([]byte(name), 5000), 0o644)
	tor, err := pieces.Create(context.Background(), data, pieces.CreateOptions{PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

type reply struct {
	status int
	kind   Kind
	msg    string
	body   string
}

func call(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, hdr map[string]string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, body)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e Error
	json.Unmarshal(b, &e)
	if resp.StatusCode != http.StatusOK && e.Msg == "" {
		t.Errorf("%s %s: %s with a body that is no JSON error: %q", method, path, resp.Status, b)
	}
	return reply{resp.StatusCode, e.Kind, e.Msg, string(b)}
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// stillServing checks the daemon answers a plain request after abuse.
func stillServing(t *testing.T, srv *httptest.Server, hdr map[string]string, after string) {
	t.Helper()
	if r := call(t, srv, "GET", "/v1/status", nil, hdr); r.status != http.StatusOK {
		t.Fatalf("after %s the daemon answers status with %d %q", after, r.status, r.body)
	}
}

func TestAPI_BadInputGetsClearErrorsAndDaemonKeepsServing(t *testing.T) {
	allowed := t.TempDir()
	_, srv := newTestDaemon(t, allowed, HTTPAuth{})
	outside := t.TempDir()
	tor := makeTorrent(t, outside, "secret")
	torPath := filepath.Join(outside, "secret.torrent")
	os.WriteFile(torPath, tor.Bytes(), 0o644)
	link := filepath.Join(allowed, "innocent.torrent")
	os.Symlink(torPath, link)

	for _, tt := range []struct {
		name, method, path string
		body               io.Reader
		hdr                map[string]string
		status             int
		say                string
	}{
		{"100 MiB body", "POST", "/v1/torrents", io.MultiReader(strings.NewReader(`{"source":"`), bytes.NewReader(make([]byte, 100<<20))),
			nil, http.StatusRequestEntityTooLarge, "over"},
		{"deeply nested", "POST", "/v1/torrents", strings.NewReader(strings.Repeat("[", 100000)), nil, http.StatusBadRequest, "nested deeper"},
		{"malformed", "POST", "/v1/torrents", strings.NewReader(`{"source":`), nil, http.StatusBadRequest, "malformed JSON"},
		{"unknown field", "POST", "/v1/torrents", strings.NewReader(`{"sauce":"x"}`), nil, http.StatusBadRequest, `unknown field "sauce"`},
		{"unknown endpoint", "POST", "/v1/reboot", nil, nil, http.StatusNotFound, "no such endpoint: POST /v1/reboot"},
		{"wrong method", "DELETE", "/v1/torrents", nil, nil, http.StatusNotFound, "no such endpoint"},
		{"path outside allowed dirs", "POST", "/v1/torrents", jsonBody(AddRequest{Source: torPath}), nil, http.StatusForbidden,
			"outside the folders remote clients may use"},
		{"symlink out of allowed dirs", "POST", "/v1/torrents", jsonBody(AddRequest{Source: link}), nil, http.StatusForbidden,
			"(really " + torPath + ")"},
		{"download dir outside", "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: tor.Bytes(), Dir: outside}), nil,
			http.StatusForbidden, "outside the folders"},
		{"relative path", "POST", "/v1/torrents", jsonBody(AddRequest{Source: "x.torrent"}), nil, http.StatusBadRequest, "absolute path"},
		{"bad metainfo", "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: []byte("d4:infoi1ee")}), nil, http.StatusBadRequest, "metainfo"},
		{"selection matching nothing", "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: tor.Bytes(), Dir: filepath.Join(allowed, "dl"),
			Select: &pieces.Selection{Only: []string{"*.iso"}}}), nil, http.StatusBadRequest, `"*.iso"`},
		{"unknown id", "POST", "/v1/torrents/77/pause", nil, nil, http.StatusNotFound, "no torrent with id 77"},
		{"garbage id", "GET", "/v1/torrents/zz!", nil, nil, http.StatusBadRequest, "no torrent id"},
		{"rebinding Host", "GET", "/v1/status", nil, map[string]string{"Host": "evil.example:80"}, http.StatusForbidden, "DNS rebinding"},
		{"cross-site Origin", "POST", "/v1/torrents", jsonBody(AddRequest{Source: "magnet:?xt=urn:btih:" + strings.Repeat("ab", 20)}),
			map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, "cross-site"},
	} {
		r := call(t, srv, tt.method, tt.path, tt.body, tt.hdr)
		if r.status != tt.status || !strings.Contains(r.msg, tt.say) {
			t.Errorf("%s: %d %q; want %d saying %q", tt.name, r.status, r.msg, tt.status, tt.say)
		}
		stillServing(t, srv, nil, tt.name)
	}

	// Inside the allowed dir, the same torrent is welcome.
	r := call(t, srv, "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: tor.Bytes(), Dir: filepath.Join(allowed, "dl"), Paused: true}), nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"id":1`) {
		t.Errorf("add inside the allowed dir: %d %s", r.status, r.body)
	}
	// Trusted is only for the Unix socket: a remote add is checked.
	r = call(t, srv, "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: makeTorrent(t, allowed, "other").Bytes(), Dir: allowed, Trusted: true}), nil)
	if r.status != http.StatusOK {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
}

func TestAPI_Credentials(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("sesame"), bcrypt.MinCost)
	_, srv := newTestDaemon(t, t.TempDir(), HTTPAuth{User: "ali", PasswordHash: string(hash), Token: "tok-123"})
	basic := func(u, p string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
	}
	for _, tt := range []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"wrong password", basic("ali", "open"), http.StatusUnauthorized},
		{"wrong user", basic("bob", "sesame"), http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer tok-999"}, http.StatusUnauthorized},
		{"password", basic("ali", "sesame"), http.StatusOK},
		{"password again (cached)", basic("ali", "sesame"), http.StatusOK},
		{"token", map[string]string{"Authorization": "Bearer tok-123"}, http.StatusOK},
	} {
		r := call(t, srv, "GET", "/v1/torrents", nil, tt.hdr)
		if r.status != tt.status {
			t.Errorf("%s: %d %q; want %d", tt.name, r.status, r.body, tt.status)
		}
		if tt.status == http.StatusUnauthorized && !strings.Contains(r.msg, "wrong or missing credentials") {
			t.Errorf("%s: %q does not say what was wrong", tt.name, r.msg)
		}
	}
}

func TestGuard_RefusesOpenNonLoopback(t *testing.T) {
	for _, a := range []string{"0.0.0.0:9091", "[::]:9091", "192.168.1.5:9091"} {
		_, err := Guard(http.NotFoundHandler(), netip.MustParseAddrPort(a), HTTPAuth{})
		if !errors.Is(err, ErrNeedCredentials) {
			t.Errorf("%s with no credentials: %v; want ErrNeedCredentials", a, err)
		}
		if _, err := Guard(http.NotFoundHandler(), netip.MustParseAddrPort(a), HTTPAuth{Token: "t"}); err != nil {
			t.Errorf("%s with a token: %v", a, err)
		}
	}
	if _, err := Guard(http.NotFoundHandler(), netip.MustParseAddrPort("127.0.0.1:9091"), HTTPAuth{}); err != nil {
		t.Errorf("loopback with no credentials: %v", err)
	}
	_, err := Guard(http.NotFoundHandler(), netip.MustParseAddrPort("0.0.0.0:1"), HTTPAuth{User: "a", PasswordHash: "plaintext"})
	if err == nil || !strings.Contains(err.Error(), "--hash-password") {
		t.Errorf("a password that is no bcrypt hash: %v", err)
	}
}
