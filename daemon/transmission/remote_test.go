package transmission

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// transmissionRemote runs Debian's transmission-remote against the test's
// server and returns what it printed; a non-zero exit fails the test.
func transmissionRemote(t *testing.T, url string, args ...string) string {
	t.Helper()
	out, err := runRemote(t, url, args...)
	if err != nil {
		t.Fatalf("transmission-remote %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("transmission-remote %s:\n%s", strings.Join(args, " "), out)
	return out
}

func runRemote(t *testing.T, url string, args ...string) (string, error) {
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
	return string(out), err
}

// waitRemote runs transmission-remote until its output matches re.
func waitRemote(t *testing.T, url string, re *regexp.Regexp, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := transmissionRemote(t, url, args...)
		if re.MatchString(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("transmission-remote %s never matched %q; last output:\n%s", strings.Join(args, " "), re, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustContain(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: no %q in:\n%s", what, w, out)
		}
	}
}

// TestTransmissionRemote drives the handler with the real
// transmission-remote: add a .torrent, list it, its details, peers and
// files while it downloads from a real (throttled) seed, then stop, start
// and remove it, and check the downloaded bytes.
func TestTransmissionRemote(t *testing.T) {
	if _, err := exec.LookPath("transmission-remote"); err != nil {
		t.Skip("transmission-remote not installed (Debian package transmission-cli; .ci/run installs it)")
	}
	e := newEnvWith(t, swarm.Config{NoPEX: true, UpLimitBps: 64 << 10})
	url := e.srv.URL + "/transmission/rpc"
	hash := hex.EncodeToString(e.tor.InfoHash[:])

	out := transmissionRemote(t, url, "-a", e.torPath)
	mustContain(t, "-a", out, `responded: "success"`)

	// While it downloads: the seed is listed as a peer, flags and all.
	testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 20*time.Second, "connected to the seed", func(ts swarm.TorrentSnapshot) bool {
		return len(ts.Peers) > 0 && ts.DoneBytes < ts.WantedBytes
	})
	_, seedPort, _ := strings.Cut(e.seedAddr, ":")
	out = waitRemote(t, url, regexp.MustCompile(`127\.0\.0\.1\s+D`), "-t", "1", "-pi")
	mustContain(t, "-pi", out, "Address", "Flags", "Client")
	if !strings.Contains(out, "127.0.0.1") {
		t.Errorf("-pi: the seed (port %s) is not listed:\n%s", seedPort, out)
	}
	out = transmissionRemote(t, url, "-l")
	mustContain(t, "-l while downloading", out, "ID", "Name", "payload", "Sum:")
	if !regexp.MustCompile(`(?m)^\s+1\s+\d+%.*(Downloading|Up & Down|Idle)\s+payload$`).MatchString(out) {
		t.Errorf("-l while downloading: no downloading row for torrent 1:\n%s", out)
	}

	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 60*time.Second)
	testnet.SameTree(t, e.payload, filepath.Join(e.downDir, "payload"))

	out = waitRemote(t, url, regexp.MustCompile(`(?m)^\s+1\s+100%.*(Seeding|Idle)\s+payload$`), "-l")
	out = transmissionRemote(t, url, "-t", "1", "-i")
	mustContain(t, "-i", out, "Name: payload", "Hash: "+hash, "Percent Done: 100%", "Location: "+e.downDir,
		"Magnet: magnet:?xt=urn:btih:"+hash, "Total size: ")
	out = transmissionRemote(t, url, "-t", "1", "-if")
	mustContain(t, "-if", out, "payload (2 files):", "payload/a.bin", "payload/sub/b.bin", "Normal", "Yes")
	if !regexp.MustCompile(`(?m)^\s*0:\s+100%\s+Normal\s+Yes\s+.*payload/a\.bin$`).MatchString(out) {
		t.Errorf("-if: file 0 not listed as done, normal priority, wanted:\n%s", out)
	}
	out = transmissionRemote(t, url, "-t", "1", "-it")
	mustContain(t, "-it", out, "Tracker 0: "+trackerHost(e.tor.Announce[0][0]), "Got a list of 1 peers")

	// Stop, start, remove, each seen in the list as it changes.
	mustContain(t, "-S", transmissionRemote(t, url, "-t", "1", "-S"), `responded: "success"`)
	waitRemote(t, url, regexp.MustCompile(`(?m)^\s+1\s+100%.*(Finished|Stopped)\s+payload$`), "-l")
	mustContain(t, "-s", transmissionRemote(t, url, "-t", "1", "-s"), `responded: "success"`)
	waitRemote(t, url, regexp.MustCompile(`(?m)^\s+1\s+100%.*(Seeding|Idle)\s+payload$`), "-l")
	mustContain(t, "-r", transmissionRemote(t, url, "-t", "1", "-r"), `responded: "success"`)
	out = waitRemote(t, url, regexp.MustCompile(`^\s*ID.*\n(Sum:.*\n)?$`), "-l")
	if strings.Contains(out, "payload") {
		t.Errorf("-l after -r still lists the torrent:\n%s", out)
	}
	// -r keeps the data (only --remove-and-delete deletes it).
	testnet.SameTree(t, e.payload, filepath.Join(e.downDir, "payload"))
}

// TestTransmissionRemoteMagnet adds by magnet link: the list shows the
// torrent before its metadata arrives, and the data ends byte for byte.
func TestTransmissionRemoteMagnet(t *testing.T) {
	if _, err := exec.LookPath("transmission-remote"); err != nil {
		t.Skip("transmission-remote not installed (Debian package transmission-cli; .ci/run installs it)")
	}
	e := newEnv(t)
	url := e.srv.URL + "/transmission/rpc"
	out := transmissionRemote(t, url, "-a", e.tor.Magnet())
	mustContain(t, "-a magnet", out, `responded: "success"`)
	out = transmissionRemote(t, url, "-l")
	mustContain(t, "-l", out, "Sum:")
	if !regexp.MustCompile(`(?m)^\s+1\s+`).MatchString(out) {
		t.Errorf("-l: torrent 1 not listed:\n%s", out)
	}
	testnet.WaitComplete(t, e.leecher, e.tor.InfoHash, 60*time.Second)
	testnet.SameTree(t, e.payload, filepath.Join(e.downDir, "payload"))
	out = waitRemote(t, url, regexp.MustCompile(`(?m)^\s+1\s+100%.*payload$`), "-l")
	out = transmissionRemote(t, url, "-t", hex.EncodeToString(e.tor.InfoHash[:]), "-if")
	mustContain(t, "-if by hash", out, "payload (2 files):", "payload/sub/b.bin")

	// A magnet nobody serves: listed by its hash, no files yet, nothing breaks.
	lonely := "0123456789abcdef0123456789abcdef01234567"
	mustContain(t, "-a lonely magnet", transmissionRemote(t, url, "-a", "magnet:?xt=urn:btih:"+lonely), `responded: "success"`)
	out = transmissionRemote(t, url, "-l")
	if !regexp.MustCompile(`(?m)^\s+2\s+n/a\s+None\s+Unknown.*(Downloading|Idle)\s+` + lonely + `$`).MatchString(out) {
		t.Errorf("-l: the lonely magnet is not listed as waiting for its metadata:\n%s", out)
	}
	mustContain(t, "-if of a magnet without metadata", transmissionRemote(t, url, "-t", "2", "-if"), "(0 files)")
	mustContain(t, "-i of a magnet without metadata", transmissionRemote(t, url, "-t", "2", "-i"), "Name: "+lonely, "Piece Count: 0")
}
