package webui

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler_ServesThePageAndNothingElse(t *testing.T) {
	h := Handler()
	for _, tt := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/", 200, `<script src="app.js"`},
		{"GET", "/app.js", 200, "async function poll()"},
		{"GET", "/app.css", 200, "--down"},
		{"GET", "/index.html", 404, ""},
		{"GET", "/static/app.js", 404, ""},
		{"GET", "/../webui.go", 404, ""},
		{"POST", "/", 405, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("%s %s: %d %.80q; want %d containing %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.contains)
		}
		if tt.status == 200 {
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("%s: Content-Security-Policy %q, want default-src 'self'", tt.path, csp)
			}
		}
	}
}

// The page must not reach for anything outside the daemon: no CDN, no
// fonts, no absolute URLs.
func TestHandler_NothingFromElsewhere(t *testing.T) {
	for _, name := range []string{"static/index.html", "static/app.js", "static/app.css"} {
		b, err := static.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q: the UI must load nothing from elsewhere", name, bad)
			}
		}
	}
}
