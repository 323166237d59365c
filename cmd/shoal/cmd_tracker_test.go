package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/tracker"
)

// TestTracker_RunAndStop starts `shoal tracker` on loopback, announces to
// the URL it printed, stops it and checks it shut down cleanly, in time,
// with its counters written.
func TestTracker_RunAndStop(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.txt")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", state, "--log-level", "error"}, pw, &stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var announce string
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := regexp.MustCompile(`^Tracker announce URL: (http://127\.0\.0\.1:\d+/announce)$`).FindStringSubmatch(sc.Text()); m != nil {
			announce = m[1]
		}
		if strings.HasPrefix(sc.Text(), "Tracker listening") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if announce == "" {
		t.Fatalf("no HTTP announce URL in:\n%s", strings.Join(lines, "\n"))
	}
	if !regexp.MustCompile(`udp://127\.0\.0\.1:\d+/announce`).MatchString(strings.Join(lines, "\n")) {
		t.Errorf("no UDP announce URL in:\n%s", strings.Join(lines, "\n"))
	}
	ih := sha1.Sum([]byte("cmd"))
	q := tracker.AnnounceRequest{InfoHash: ih, PeerID: [20]byte([]byte("-SH0001-000000000001")), Port: 6881,
		Event: tracker.EventCompleted, NumWant: -1, Compact: true}.Query()
	resp, err := http.Get(announce + "?" + q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "d8:completei1e") {
		t.Fatalf("announce answer %q", body)
	}

	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code %d, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tracker did not stop within 5s")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v, want under 2s", d)
	}
	b, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(b), tracker.InfoHash(ih).String()+" 1\n") {
		t.Errorf("state file %q, %v: want the completed count", b, err)
	}
}

func TestTracker_BadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("not/a/hash-nor-key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--allow", filepath.Join(dir, "missing")}, exitNotFound, "no such file"},
		{[]string{"--allow", bad}, exitUsage, "line 1"},
		{[]string{"--passkeys", bad}, exitUsage, "line 1"},
		{[]string{"--min-interval", "5m", "--interval", "1m"}, exitUsage, "min interval"},
		{[]string{"--rate", "-1"}, exitUsage, "--rate"},
		{[]string{"--http-conns", "100", "--http-conns-per-ip", "200"}, exitUsage, "per IP is more than"},
		{[]string{"--http-conns-per-ip", "-1"}, exitUsage, "negative limit"},
		{[]string{"extra"}, exitUsage, "no arguments"},
		{[]string{"--http", "off", "--udp", "off"}, exitUsage, "both HTTP and UDP are off"},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", ""}, tt.args...)
		code := run(t.Context(), args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("shoal %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tt.args, " "), code, stderr.String(), tt.code, tt.msg)
		}
	}
}

// TestTracker_ShoalSeedAndGet has shoal's own engine find a seed through
// `shoal tracker` alone: the torrent is private (no DHT, PEX or LSD) and the
// downloader is given no peer.
func TestTracker_ShoalSeedAndGet(t *testing.T) {
	dir := t.TempDir()
	tr := shoalStart(t, "tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", "", "--log-level", "error")
	announce := tr.waitFor(t, `Tracker announce URL: (http://127\.0\.0\.1:\d+/announce)`, 10*time.Second)[1]

	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 300_000, "b/c.dat": 20_000})
	seed := shoalStart(t, "seed", data, "--tracker", announce, "--private", "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "seed-state"), "--piece-length", "16KiB")
	torrent := seed.waitFor(t, `Torrent: (\S+)`, 30*time.Second)[1]
	seed.waitFor(t, `Listening on`, 30*time.Second)

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", torrent, "-o", out, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "get-state"))
	if code != 0 {
		t.Fatalf("get through the tracker: exit %d\n%s\n%s\ntracker:\n%s", code, stdout, stderr, tr.err.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))

	// Both peers announced to us; else they met some other way.
	resp, err := http.Get(strings.TrimSuffix(announce, "/announce") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`shoal_tracker_announces_total\{proto="http"\} (\d+)`).FindSubmatch(metrics)
	if m == nil || string(m[1]) == "0" || string(m[1]) == "1" || !strings.Contains(string(metrics), "shoal_tracker_swarms 1\n") {
		t.Errorf("the tracker did not see both peers:\n%s", metrics)
	}
}

// TestTracker_WithDHTServesInfohashOnlyMagnets: on a LAN with no internet,
// 'shoal tracker --dht' is also the DHT bootstrap node, so a magnet link
// with only the infohash works for anyone pointed at it.
func TestTracker_WithDHTServesInfohashOnlyMagnets(t *testing.T) {
	dir := t.TempDir()
	tr := shoalStart(t, "tracker", "--http", "127.0.0.1:0", "--udp", "off", "--dht", "--dht-listen", "127.0.0.1:0",
		"--state", "", "--log-level", "error")
	boot := tr.waitFor(t, `DHT bootstrap node: (\S+)`, 10*time.Second)[1]

	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 200_000})
	seed := shoalStart(t, "seed", data, "--dht-bootstrap", boot, "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "seed-state"))
	magnet := seed.waitFor(t, `Magnet:  (magnet:\S+)`, 30*time.Second)[1]
	ih := regexp.MustCompile(`xt=urn:btih:([0-9a-f]{40})`).FindStringSubmatch(magnet)[1]

	out := t.TempDir()
	code, stdout, stderr := shoalRun(t, "get", "magnet:?xt=urn:btih:"+ih, "-o", out, "--listen", "127.0.0.1:0",
		"--no-tui", "--dht-bootstrap", boot, "--state-dir", filepath.Join(dir, "get-state"))
	if code != 0 {
		t.Fatalf("get via the tracker's DHT node: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}

// TestTracker_MagnetOverUDP: a magnet link whose only source is a udp://
// `shoal tracker` must work. Before its metadata arrives the downloader does
// not know how much is left, and the tracker refuses a negative left, so the
// engine must announce a large positive one instead (as libtorrent does).
func TestTracker_MagnetOverUDP(t *testing.T) {
	dir := t.TempDir()
	tr := shoalStart(t, "tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", "", "--log-level", "error")
	udp := tr.waitFor(t, `Tracker announce URL: (udp://127\.0\.0\.1:\d+/announce)`, 10*time.Second)[1]

	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 200_000, "b.bin": 3_000})
	seed := shoalStart(t, "seed", data, "--tracker", udp, "--no-dht", "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "seed-state"), "--piece-length", "16KiB")
	magnet := seed.waitFor(t, `Magnet:  (magnet:\S+)`, 30*time.Second)[1]
	seed.waitFor(t, `Listening on`, 30*time.Second)
	if !strings.Contains(magnet, "tr=udp") {
		t.Fatalf("magnet %s does not name the UDP tracker", magnet)
	}

	out := t.TempDir()
	// Without the fix the download never finds a peer: give up in time.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"get", magnet, "-o", out, "--no-dht", "--listen", "127.0.0.1:0", "--no-tui",
		"--state-dir", filepath.Join(dir, "get-state")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("get by magnet through the UDP tracker: exit %d\n%s\n%s\ntracker:\n%s", code, stdout.String(), stderr.String(), tr.err.String())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
}

// TestTracker_JSON runs `shoal tracker --json` with passkeys and limits of
// its own, announces over HTTP (once with a wrong key) and UDP, stops it,
// and checks both lines say what really happened: the bound addresses, the
// limits in force with defaults filled in, and the counts.
func TestTracker_JSON(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "passkeys.txt")
	if err := os.WriteFile(keys, []byte("goodkey\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := shoalStart(t, "tracker", "--json", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", "",
		"--passkeys", keys, "--rate", "0", "--interval", "90s", "--max-torrents", "7", "--log-level", "error")
	p.waitFor(t, `"type":"start"`, 10*time.Second)
	var start jsonTrackerStart
	if err := json.Unmarshal([]byte(strings.SplitN(p.out.String(), "\n", 2)[0]), &start); err != nil {
		t.Fatalf("first line: %v\n%s", err, p.out.String())
	}
	addrRx := regexp.MustCompile(`^127\.0\.0\.1:[1-9]\d*$`)
	if !addrRx.MatchString(start.HTTP) || !addrRx.MatchString(start.UDP) {
		t.Fatalf("start %+v: want the bound loopback addresses", start)
	}
	want := jsonTrackerStart{Type: "start", HTTP: start.HTTP, UDP: start.UDP,
		Announce:   []string{"http://" + start.HTTP + "/announce", "udp://" + start.UDP + "/announce"},
		StatusPage: "http://" + start.HTTP + "/", Mode: "passkeys",
		IntervalSeconds: 90, MinIntervalSeconds: 30, PeerTTLSeconds: 180, Numwant: 50, MaxNumwant: 200,
		Rate: 0, Burst: 0, MaxTorrents: 7, HTTPConns: 4096, HTTPConnsPerIP: 64}
	if !reflect.DeepEqual(start, want) {
		t.Errorf("start\n got %+v\nwant %+v", start, want)
	}

	ih := sha1.Sum([]byte("json"))
	req := tracker.AnnounceRequest{InfoHash: ih, PeerID: [20]byte([]byte("-SH0001-000000000001")), Port: 6881, NumWant: -1, Compact: true}
	for key, wantBody := range map[string]string{"goodkey": "d8:completei1e", "badkey": "d14:failure reason"} {
		resp, err := http.Get("http://" + start.HTTP + "/announce/" + key + "?" + req.Query())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(body), wantBody) {
			t.Errorf("announce with %s: %q, want %s...", key, body, wantBody)
		}
	}
	resp, err := http.Get("http://" + start.HTTP + "/scrape/goodkey?info_hash=" + url.QueryEscape(string(ih[:])))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A leecher over UDP (BEP 15, the key in BEP 41 URL data).
	conn, err := net.Dial("udp", start.UDP)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	udp := func(pkt []byte) []byte {
		conn.Write(pkt)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 1500)
		n, err := conn.Read(buf)
		if err != nil || n < 8 {
			t.Fatalf("UDP answer: %v (%d bytes)", err, n)
		}
		return buf[:n]
	}
	const bep15Magic = 0x41727101980
	c := udp(tracker.AppendUDP(nil, tracker.UDPRequest{ConnID: bep15Magic, Action: tracker.ActionConnect, TxID: 1}))
	leech := req
	leech.PeerID, leech.Port, leech.Left = [20]byte([]byte("-SH0001-000000000002")), 6882, 1000
	a := udp(tracker.AppendUDP(nil, tracker.UDPRequest{ConnID: binary.BigEndian.Uint64(c[8:]), Action: tracker.ActionAnnounce,
		TxID: 2, Announce: leech, URLData: "/announce/goodkey"}))
	if tracker.UDPAction(binary.BigEndian.Uint32(a)) != tracker.ActionAnnounce {
		t.Fatalf("UDP announce answered %q", a)
	}

	p.stop()
	<-p.done
	if p.code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", p.code, p.err.String())
	}
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	var sum jsonTrackerSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || len(lines) != 2 {
		t.Fatalf("want two lines, the last the summary (%v):\n%s", err, p.out.String())
	}
	if sum.Seconds <= 0 {
		t.Errorf("summary seconds %v", sum.Seconds)
	}
	sum.Seconds = 0
	wantSum := jsonTrackerSummary{Type: "summary", AnnouncesHTTP: 2, AnnouncesUDP: 1, Scrapes: 1, Refused: 1, Torrents: 1, Seeders: 1, Leechers: 1}
	if sum != wantSum {
		t.Errorf("summary\n got %+v\nwant %+v", sum, wantSum)
	}
}
