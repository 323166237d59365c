package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/swarm"
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

// transmission-remote -v checks the torrent in place through the engine:
// the daemon reports the check and the torrent seeds on, verified.
func TestTransmissionRemote_Verify(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	tor := makeTorrent(t, dir, "checked")
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	waitFor(t, "the torrent to seed", 30*time.Second, func() bool {
		ts := d.snapshotOf(ih)
		return ts != nil && ts.State == swarm.StateSeeding && ts.Verified
	})
	th, err := transmission.New(transmission.Config{Backend: d.TransmissionBackend()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	th.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	events, stop := d.Subscribe()
	defer stop()
	if out := remote(t, srv.URL+"/transmission/rpc", "-t", "1", "-v"); !strings.Contains(out, `responded: "success"`) {
		t.Fatalf("-v: %s", out)
	}
	deadline := time.After(30 * time.Second)
	for checked := false; !checked; {
		select {
		case ev := <-events:
			checked = ev.Kind == swarm.EventChecked && ev.InfoHash == ih
			if checked && !strings.HasPrefix(ev.Msg, fmt.Sprintf("checked: %d of %d pieces match", tor.Info.NumPieces(), tor.Info.NumPieces())) {
				t.Errorf("check event %q", ev.Msg)
			}
		case <-deadline:
			t.Fatal("no check event after transmission-remote -v")
		}
	}
	waitFor(t, "the torrent to seed again, verified", 30*time.Second, func() bool {
		ts := d.snapshotOf(ih)
		return ts != nil && ts.State == swarm.StateSeeding && ts.Verified
	})
}
