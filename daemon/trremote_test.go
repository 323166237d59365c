package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon/transmission"
)

// remote runs Debian's transmission-remote against url and returns what it
// printed; a non-zero exit fails the test.
func remote(t *testing.T, url string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("transmission-remote")
	if err != nil {
		t.Skip("transmission-remote not installed (Debian package transmission-cli; .ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{strings.TrimPrefix(url, "http://")}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TR_AUTH=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("transmission-remote %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("transmission-remote %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// transmission-remote -si prints its LIMITS section (it prints none unless
// every field it reads is there) and the CONFIG lines from the daemon's
// engine: peer limits, encryption, PEX and LSD, the state dir.
func TestTransmissionRemote_SessionInfo(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	th, err := transmission.New(transmission.Config{Backend: d.TransmissionBackend()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	th.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	out := remote(t, srv.URL+"/transmission/rpc", "-si")
	want := []string{"LIMITS", "Peer limit: " + strconv.Itoa(openFileLimit()), "Default seed ratio limit: Unlimited",
		"Upload speed limit: Unlimited", "Download speed limit: Unlimited",
		"Configuration directory: " + d.lib.Dir, "Encryption: tolerated", "Peer exchange allowed: Yes",
		"Local peer discovery enabled: No"}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("-si lacks %q", w)
		}
	}
}
