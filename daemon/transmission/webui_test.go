package transmission

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"github.com/shoal-bt/shoal/internal/headless"
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
	chromium := headless.Find()
	if chromium == "" {
		t.Skip("no chromium installed (.ci/run installs it)")
	}
	e := newEnv(t)
	if res, _ := e.call(t, "torrent-add", map[string]any{"filename": e.torPath}); res != "success" {
		t.Fatalf("torrent-add: %s", res)
	}
	e.h.cfg.WebDir = webUIDir
	mux := http.NewServeMux()
	e.h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	dom := headless.DOM(t, chromium, srv.URL+"/transmission/web/")
	if !regexp.MustCompile(`class="torrent_name"[^>]*>payload<`).MatchString(dom) {
		t.Fatalf("the web UI's torrent list does not show the torrent %q; page:\n%s", "payload", truncate(dom, 6000))
	}
	if regexp.MustCompile(`Connection Failed`).MatchString(dom) {
		t.Errorf("the web UI shows a connection failure")
	}
}
