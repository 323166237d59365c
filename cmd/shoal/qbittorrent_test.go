package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// qbt is a qBittorrent-nox (libtorrent 2.0) of the test's own: its own
// profile, peer port on loopback, no DHT, LSD, PEX or port forwarding, and
// its Web API on a loopback port without login.
type qbt struct {
	api  string // http://127.0.0.1:PORT/api/v2
	dl   string
	peer string // 127.0.0.1:PORT it takes peers on
	log  syncBuffer
}

func startQBittorrent(t *testing.T) *qbt {
	t.Helper()
	bin := needTool(t, "qbittorrent-nox")
	base := shortTemp(t)
	conf := filepath.Join(base, "profile", "qBittorrent", "config")
	q := &qbt{dl: filepath.Join(base, "dl")}
	for _, d := range []string{conf, q.dl} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	webPort, peerPort := freePort(t), freePort(t)
	q.api = fmt.Sprintf("http://127.0.0.1:%d/api/v2", webPort)
	q.peer = fmt.Sprintf("127.0.0.1:%d", peerPort)
	ini := fmt.Sprintf(`[LegalNotice]
Accepted=true

[BitTorrent]
Session\DHTEnabled=false
Session\LSDEnabled=false
Session\PeXEnabled=false
Session\Interface=lo
Session\InterfaceName=lo
Session\Port=%d
Session\DefaultSavePath=%s

[Network]
PortForwardingEnabled=false

[Preferences]
WebUI\Address=127.0.0.1
WebUI\Port=%d
WebUI\LocalHostAuth=false
WebUI\CSRFProtection=false
WebUI\HostHeaderValidation=false
Connection\UPnP=false
General\UseRandomPort=false
`, peerPort, q.dl, webPort)
	if err := os.WriteFile(filepath.Join(conf, "qBittorrent.conf"), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--profile="+filepath.Join(base, "profile"))
	cmd.Env = append(os.Environ(), "HOME="+base, "XDG_CONFIG_HOME="+filepath.Join(base, "xdg"), "XDG_DATA_HOME="+filepath.Join(base, "xdg"))
	cmd.Stdout, cmd.Stderr = &q.log, &q.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("qbittorrent-nox said:\n%s", q.log.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(q.api + "/app/version"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("qbittorrent-nox did not answer on %s in 30s:\n%s", q.api, q.log.String())
		}
	}
	return q
}

// add gives qBittorrent a .torrent file, or a magnet link, to download
// into its folder.
func (q *qbt) add(t *testing.T, torrent string) {
	t.Helper()
	q.addAt(t, torrent, q.dl)
}

// addAt is add into savePath, which may hold the data already: then
// qBittorrent checks it and seeds.
func (q *qbt) addAt(t *testing.T, torrent, savePath string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if isMagnet(torrent) {
		w.WriteField("urls", torrent)
	} else {
		b, err := os.ReadFile(torrent)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := w.CreateFormFile("torrents", filepath.Base(torrent))
		part.Write(b)
	}
	w.WriteField("savepath", savePath)
	w.Close()
	resp, err := http.Post(q.api+"/torrents/add", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(out) != "Ok." {
		t.Fatalf("qBittorrent refused %s: %s %s", torrent, resp.Status, out)
	}
}

type qbtTorrent struct {
	Name     string  `json:"name"`
	Progress float64 `json:"progress"`
	State    string  `json:"state"`
	HashV1   string  `json:"infohash_v1"`
	HashV2   string  `json:"infohash_v2"`
}

// waitDone waits until qBittorrent has one torrent at 100% and returns it.
func (q *qbt) waitDone(t *testing.T, timeout time.Duration) qbtTorrent {
	t.Helper()
	var last []qbtTorrent
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(q.api + "/torrents/info")
		if err != nil {
			continue
		}
		last = nil
		json.NewDecoder(resp.Body).Decode(&last)
		resp.Body.Close()
		if len(last) == 1 && last[0].Progress == 1 {
			return last[0]
		}
	}
	t.Fatalf("qBittorrent did not finish in %v: %+v", timeout, last)
	return qbtTorrent{}
}

// TestQBittorrent_DownloadsShoalHybrid: qBittorrent-nox (libtorrent 2.0,
// v2-aware) downloads a shoal hybrid torrent by .torrent from `shoal seed`
// through shoal's tracker, byte for byte, and reads both its infohashes as
// shoal does.
func TestQBittorrent_DownloadsShoalHybrid(t *testing.T) {
	qbtDownloadsShoal(t, "hybrid", false)
}

// TestQBittorrent_DownloadsShoalV2: the same for a v2-only torrent: only
// the truncated v2 infohash names the swarm, and shoal checks its data
// against the Merkle trees.
func TestQBittorrent_DownloadsShoalV2(t *testing.T) {
	qbtDownloadsShoal(t, "v2", false)
}

// TestQBittorrent_DownloadsShoalHybridByMagnet: the same by the hybrid
// magnet link (btih and btmh): qBittorrent fetches the info dict from shoal
// by BEP 9 and checks the pieces by their v1 hashes.
func TestQBittorrent_DownloadsShoalHybridByMagnet(t *testing.T) {
	qbtDownloadsShoal(t, "hybrid", true)
}

// TestQBittorrent_DownloadsShoalV2ByMagnet: the same for a v2-only torrent
// by its btmh magnet: qBittorrent fetches the info dict from shoal, then
// every file's piece layer by BEP 52 hash requests that shoal answers
// (proof layers counted as libtorrent counts them).
func TestQBittorrent_DownloadsShoalV2ByMagnet(t *testing.T) {
	qbtDownloadsShoal(t, "v2", true)
}

func qbtDownloadsShoal(t *testing.T, format string, byMagnet bool) {
	needTool(t, "qbittorrent-nox")
	announce := startTracker(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, interopTree)
	tor := filepath.Join(dir, "dataset.torrent")
	createTorrent(t, data, tor, "--tracker", announce, "--format", format, "--piece-length", "64KiB")
	_, info, _ := shoalRun(t, "info", "--json", tor)
	var want infoOut
	if err := json.Unmarshal([]byte(info), &want); err != nil {
		t.Fatal(err)
	}
	seed := shoalStart(t, "seed", tor, "--data", dir, "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--state-dir", filepath.Join(dir, "state"), "--progress-every", "1s")
	seed.waitFor(t, ` seeding `, 30*time.Second)

	q := startQBittorrent(t)
	if byMagnet {
		q.add(t, want.Magnet)
	} else {
		q.add(t, tor)
	}
	got := q.waitDone(t, 120*time.Second)
	wantV1 := want.InfoHash
	if format == "v2" {
		wantV1 = "" // its InfoHash is the truncated v2 one
	}
	if got.HashV1 != wantV1 || got.HashV2 != want.InfoHashV2 {
		t.Errorf("qBittorrent reads infohashes %s / %s, shoal %s / %s", got.HashV1, got.HashV2, want.InfoHash, want.InfoHashV2)
	}
	sameTree(t, data, filepath.Join(q.dl, "dataset"))
	if t.Failed() {
		t.Logf("shoal seed said:\n%s%s", seed.out.String(), seed.err.String())
	}
}

// TestQBittorrent_SeedsToShoal: shoal downloads from a qBittorrent-nox
// seed (libtorrent 2.0): a shoal v1 torrent, a shoal hybrid by its hybrid magnet (the info dict
// by BEP 9, pieces by their v1 hashes, BLAKE3 checked), a shoal v2-only
// torrent by .torrent (pieces by their Merkle trees), hybrid and v2-only
// torrents libtorrent made itself (its hybrids pad the last file too), and
// v2-only and hybrid torrents by a btmh-only magnet (the info dict under
// the truncated v2 infohash, then, for the v2-only ones, every file's
// piece layer by BEP 52 hash requests to qBittorrent), byte for byte.
func TestQBittorrent_SeedsToShoal(t *testing.T) {
	needTool(t, "qbittorrent-nox")
	for _, tc := range []struct {
		name, format, maker string
		by                  string // "torrent", "magnet" (as info prints it) or "btmh" (nothing else)
	}{
		{"shoal hybrid by magnet", "hybrid", "shoal", "magnet"},
		// BEP 52's handshake bit now goes out for torrents with a v2 half
		// only: a v1 torrent still downloads.
		{"shoal v1", "v1", "shoal", "torrent"},
		{"shoal v2", "v2", "shoal", "torrent"},
		{"libtorrent hybrid", "hybrid", "libtorrent", "torrent"},
		{"libtorrent v2", "v2", "libtorrent", "torrent"},
		{"shoal v2 by btmh", "v2", "shoal", "btmh"},
		{"shoal hybrid by btmh", "hybrid", "shoal", "btmh"},
		{"libtorrent v2 by btmh", "v2", "libtorrent", "btmh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "dataset")
			writeTree(t, data, interopTree)
			tor := filepath.Join(dir, "dataset.torrent")
			if tc.maker == "shoal" {
				createTorrent(t, data, tor, "--format", tc.format, "--piece-length", "64KiB")
			} else {
				libtorrentMake(t, data, tor, tc.format, 64<<10)
			}
			_, info, _ := shoalRun(t, "info", "--json", tor)
			var want infoOut
			if err := json.Unmarshal([]byte(info), &want); err != nil {
				t.Fatal(err)
			}
			q := startQBittorrent(t)
			q.addAt(t, tor, dir)
			q.waitDone(t, 60*time.Second) // checked: it has every piece and seeds

			src := tor
			switch tc.by {
			case "magnet":
				src = want.Magnet
			case "btmh":
				src = "magnet:?xt=urn:btmh:1220" + want.InfoHashV2
			}
			out := t.TempDir()
			get := shoalStart(t, "get", src, "-o", out, "--peer", q.peer, "--listen", "127.0.0.1:0",
				"--no-tui", "--no-dht", "--state-dir", filepath.Join(dir, "state"), "--progress-every", "1s", "--log-level", "debug")
			select {
			case <-get.done:
			case <-time.After(90 * time.Second):
				t.Fatalf("get from qBittorrent did not finish in 90s\n%s\n%s", get.out.String(), get.err.String())
			}
			stdout := get.out.String()
			if get.code != 0 {
				t.Fatalf("get from qBittorrent: exit %d\n%s\n%s", get.code, stdout, get.err.String())
			}
			sameTree(t, data, filepath.Join(out, "dataset"))
			if tc.maker == "shoal" && tc.format == "hybrid" && !strings.Contains(stdout, "verified") {
				t.Errorf("get did not report the BLAKE3 check:\n%s", stdout)
			}
		})
	}
}

// libtorrentMake makes a torrent of path with libtorrent's own
// create_torrent (Debian's python3-libtorrent), skipping when it does not
// import.
func libtorrentMake(t *testing.T, path, out, format string, pieceLength int) {
	t.Helper()
	const python = "/usr/bin/python3" // the python3 on PATH may not be Debian's
	script := filepath.Join("..", "..", "pieces", "testdata", "libtorrent", "make_torrent.py")
	b, err := exec.Command(python, script, path, out, format, strconv.Itoa(pieceLength)).CombinedOutput()
	if err != nil {
		if probe := exec.Command(python, "-c", "import libtorrent"); probe.Run() != nil {
			t.Skipf("libtorrent's Python bindings do not import in %s (install python3-libtorrent): %s", python, b)
		}
		t.Fatalf("libtorrent make_torrent: %v: %s", err, b)
	}
}
