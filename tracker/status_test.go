package tracker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestStatus_Metrics parses /metrics with the Prometheus library's own text
// parser and checks every metric the tracker has always exposed is there,
// with its type, labels and a value that follows the requests made.
func TestStatus_Metrics(t *testing.T) {
	s := startServer(t, Config{})
	q := AnnounceRequest{InfoHash: ihOf("m"), PeerID: peerIDOf(1), Port: 8001, Left: 1, NumWant: -1, Compact: true}.Query()
	getBencode(t, httpURL(s, "/announce?"+q))
	ih := ihOf("m")
	getBencode(t, httpURL(s, "/scrape?info_hash="+string(escape(nil, ih[:]))))
	getBencode(t, httpURL(s, "/announce?info_hash=short"))

	resp, err := http.Get(httpURL(s, "/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	value := func(name string, typ dto.MetricType, labels string) (float64, bool) {
		f := fams[name]
		if f == nil || f.GetType() != typ {
			return 0, false
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, lp := range m.GetLabel() {
				got = append(got, lp.GetName()+"="+lp.GetValue())
			}
			if strings.Join(got, ",") != labels {
				continue
			}
			if typ == dto.MetricType_COUNTER {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	gauge, counter := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	for _, tt := range []struct {
		name   string
		typ    dto.MetricType
		labels string
		want   float64 // -1: any value
	}{
		{"shoal_tracker_swarms", gauge, "", 1},
		{"shoal_tracker_peers", gauge, "state=seeder", 0},
		{"shoal_tracker_peers", gauge, "state=leecher", 1},
		{"shoal_tracker_announces_total", counter, "proto=http", 2},
		{"shoal_tracker_announces_total", counter, "proto=udp", 0},
		{"shoal_tracker_scrapes_total", counter, "proto=http", 1},
		{"shoal_tracker_scrapes_total", counter, "proto=udp", 0},
		{"shoal_tracker_udp_connects_total", counter, "", 0},
		{"shoal_tracker_cached_answers_total", counter, "", 0},
		{"shoal_tracker_refused_total", counter, "reason=bad_request", 1},
		{"shoal_tracker_refused_total", counter, "reason=unregistered", 0},
		{"shoal_tracker_refused_total", counter, "reason=passkey", 0},
		{"shoal_tracker_refused_total", counter, "reason=rate_limited", 0},
		{"shoal_tracker_refused_total", counter, "reason=full", 0},
		{"shoal_tracker_refused_total", counter, "reason=bad_connection_id", 0},
		{"shoal_tracker_uptime_seconds", gauge, "", -1},
		{"shoal_tracker_http_connections", gauge, "", -1},
		{"shoal_tracker_http_connections_closed_total", counter, "reason=per_ip", 0},
		{"shoal_tracker_http_connections_closed_total", counter, "reason=full", 0},
		{"go_goroutines", gauge, "", -1},
	} {
		got, ok := value(tt.name, tt.typ, tt.labels)
		switch {
		case !ok:
			t.Errorf("no %s %s{%s}", tt.typ, tt.name, tt.labels)
		case tt.want >= 0 && got != tt.want:
			t.Errorf("%s{%s} = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

// TestStatus_Chromium loads the status page in a real headless browser and
// checks what it shows.
func TestStatus_Chromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; .ci/run should have installed it")
		}
		t.Skip("chromium not installed (apt-get install -y chromium): skipping the browser test of the status page")
	}
	dir := t.TempDir()
	ih := writeTorrent(t, dir+"/t/lab.torrent", "lab-image.iso")
	s := startServer(t, Config{TorrentsDir: dir + "/t"})
	for port, left := range map[uint16]uint64{9001: 0, 9002: 5, 9003: 5} {
		ev := EventStarted
		if port == 9001 {
			ev = EventCompleted
		}
		q := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(int(port)), Port: port, Left: left, Event: ev, NumWant: -1, Compact: true}.Query()
		if r := getBencode(t, httpURL(s, "/announce?"+q)); r.FailureReason != "" {
			t.Fatal(r.FailureReason)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-dev-shm-usage", "--window-size=390,844", // a phone's viewport
		"--user-data-dir="+dir+"/profile", "--dump-dom", httpURL(s, "/"))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	row := regexp.MustCompile(`(?s)<tr class="swarm" data-infohash="` + ih.String() + `">(.*?)</tr>`).FindStringSubmatch(dom)
	if row == nil {
		t.Fatalf("no row for the swarm in the DOM:\n%s", dom)
	}
	for _, want := range []string{
		`<td class="name">lab-image.iso</td>`,
		`<td class="n seeders">1</td>`,
		`<td class="n leechers">2</td>`,
		`<td class="n completed">1</td>`,
	} {
		if !strings.Contains(row[1], want) {
			t.Errorf("swarm row lacks %s:\n%s", want, row[1])
		}
	}
	if !regexp.MustCompile(`<td class="last">\d+s ago</td>`).MatchString(row[1]) {
		t.Errorf("swarm row lacks a last announce seconds ago:\n%s", row[1])
	}
	for _, want := range []string{`<b id="total-seeders">1</b>`, `<b id="total-leechers">2</b>`, `<span id="mode">allow-list (1 torrents)</span>`, `name="viewport"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// A passkey tracker hides its swarm list from outsiders: the status page
// and /metrics need a valid key, except from the tracker's own host. The
// requests go straight to the handler, so the outside address sends nothing.
func TestStatus_PasskeyGuardsPage(t *testing.T) {
	keys := t.TempDir() + "/keys.txt"
	writeFile(t, keys, "alice-key Alice\n")
	s, err := New(Config{HTTPAddr: "127.0.0.1:0", UDPAddr: Off, PasskeysFile: keys})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		from, path string
		want       int
	}{
		{"192.0.2.7:5555", "/", http.StatusForbidden},
		{"192.0.2.7:5555", "/metrics", http.StatusForbidden},
		{"192.0.2.7:5555", "/?passkey=wrong", http.StatusForbidden},
		{"192.0.2.7:5555", "/?passkey=alice-key", http.StatusOK},
		{"192.0.2.7:5555", "/metrics?passkey=alice-key", http.StatusOK},
		{"127.0.0.1:5555", "/", http.StatusOK},
		{"[::1]:5555", "/metrics", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		req.RemoteAddr = tt.from
		rec := httptest.NewRecorder()
		s.http.Handler.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("GET %s from %s: %d, want %d", tt.path, tt.from, rec.Code, tt.want)
		}
		if rec.Code == http.StatusForbidden && !strings.Contains(rec.Body.String(), "passkey=YOUR_KEY") {
			t.Errorf("GET %s from %s: refusal does not say what to do: %q", tt.path, tt.from, rec.Body.String())
		}
	}
}
