package daemon

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// leech downloads tor from peer into a fresh folder with a Session of its
// own, and returns that session once the download is verified.
func leech(t *testing.T, tor *pieces.Torrent, peer string) *swarm.Session {
	t.Helper()
	s, ih := startLeech(t, tor, peer)
	waitFor(t, "the leecher to finish", 60*time.Second, func() bool {
		snap := s.Snapshot()
		for _, tt := range snap.Torrents {
			if tt.InfoHash == ih && tt.Verified {
				return true
			}
		}
		return false
	})
	return s
}

// startLeech starts downloading tor from peer, and returns at once.
func startLeech(t *testing.T, tor *pieces.Torrent, peer string) (*swarm.Session, swarm.InfoHash) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	ih, err := s.Add(ctx, swarm.AddOptions{Torrent: tor, Dir: t.TempDir(), Peers: []string{peer}})
	if err != nil {
		t.Fatal(err)
	}
	return s, ih
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func scrape(t *testing.T, d *Daemon) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	d.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the one sample of name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(want) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// A real leecher downloads from the daemon; /metrics, parsed by the
// Prometheus library's own parser, counts the bytes sent, the torrents by
// state and the per-torrent series.
func TestMetrics_CountsARealTransfer(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	tor := makeTorrent(t, dir, "shared")
	paused := makeTorrent(t, dir, "resting")
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: paused.Bytes(), Dir: dir, Paused: true}, Local); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the daemon to seed", 30*time.Second, func() bool {
		v, _ := value(scrape(t, d), "shoal_torrents", map[string]string{"state": "seeding"})
		return v == 1
	})
	leech(t, tor, d.Session().Addr().String())
	size := float64(tor.Info.Length)
	ih := hexOf(swarm.InfoHash(tor.InfoHash))
	waitFor(t, "the upload in /metrics", 10*time.Second, func() bool {
		v, _ := value(scrape(t, d), "shoal_uploaded_bytes_total", nil)
		return v >= size
	})
	fams := scrape(t, d)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"shoal_torrents", map[string]string{"state": "seeding"}, 1},
		{"shoal_torrents", map[string]string{"state": "paused"}, 1},
		{"shoal_torrents", map[string]string{"state": "downloading"}, 0},
		{"shoal_torrent_uploaded_bytes_total", map[string]string{"infohash": ih, "name": "shared"}, size},
		{"shoal_torrent_done_bytes", map[string]string{"infohash": ih}, size},
		{"shoal_downloaded_bytes_total", nil, 0},
		{"shoal_wasted_bytes_total", nil, 0},
		{"shoal_peers_banned", nil, 0},
	} {
		if v, ok := value(fams, c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (present: %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	for _, name := range []string{"shoal_download_bytes_per_second", "shoal_upload_bytes_per_second", "shoal_peers", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
