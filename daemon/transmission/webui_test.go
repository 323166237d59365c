package transmission

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// webUIDir is where Debian's transmission-common installs Transmission's
// web UI.
const webUIDir = "/usr/share/transmission/web"

// TestWebUI loads Transmission's own web UI in headless Chromium, served
// by Register beside the handler as transmission-daemon serves it (the page
// reaches the RPC at ../rpc), and checks it lists the torrent by name: the page
// did the session-id dance, session-get, session-stats and torrent-get.
func TestWebUI(t *testing.T) {
	if _, err := os.Stat(webUIDir + "/index.html"); err != nil {
		t.Skip("Transmission's web UI is not installed (Debian package transmission-common; .ci/run installs it)")
	}
	chromium := chromiumPath(t)
	e := newEnv(t)
	if res, _ := e.call(t, "torrent-add", map[string]any{"filename": e.torPath}); res != "success" {
		t.Fatalf("torrent-add: %s", res)
	}
	e.h.cfg.WebDir = webUIDir
	mux := http.NewServeMux()
	e.h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	dom := dumpDOM(t, chromium, srv.URL+"/transmission/web/")
	if !regexp.MustCompile(`class="torrent_name"[^>]*>payload<`).MatchString(dom) {
		t.Fatalf("the web UI's torrent list does not show the torrent %q; page:\n%s", "payload", truncate(dom, 6000))
	}
	if regexp.MustCompile(`Connection Failed`).MatchString(dom) {
		t.Errorf("the web UI shows a connection failure")
	}
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (.ci/run installs it)")
	return ""
}

// dumpDOM loads url in headless Chromium and returns the DOM once the
// page's scripts had a few (virtual) seconds.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-extensions", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=8000", "--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium: %v\n%s", err, truncate(stderr, 4000))
	}
	return string(out)
}
