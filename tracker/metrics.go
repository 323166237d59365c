package tracker

import (
	"errors"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/internal/metrics"
)

// counters are what /metrics shows of the requests: atomics that any
// goroutine adds to, read when Prometheus scrapes.
type counters struct {
	announcesHTTP, announcesUDP atomic.Uint64
	scrapesHTTP, scrapesUDP     atomic.Uint64
	connectsUDP                 atomic.Uint64
	cacheHits                   atomic.Uint64
	badRequests                 atomic.Uint64
	unregistered, badPasskey    atomic.Uint64
	rateLimited, full           atomic.Uint64
	badConnID                   atomic.Uint64
}

func (m *counters) failure(err error) {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		m.badRequests.Add(1)
	case errors.Is(err, ErrUnregistered):
		m.unregistered.Add(1)
	case errors.Is(err, ErrPasskey), errors.Is(err, ErrPasskeyMissing):
		m.badPasskey.Add(1)
	case errors.Is(err, ErrFull):
		m.full.Add(1)
	}
}

// newMetrics registers what /metrics shows. The names and labels are the
// ones the tracker has always exposed (dashboards depend on them); go_* and
// process_* come with the registry.
func newMetrics(l *logic, guard *connGuard, started time.Time) *metrics.Registry {
	r := metrics.NewRegistry()
	u := func(a *atomic.Uint64) func() float64 { return func() float64 { return float64(a.Load()) } }
	tot := func(f func(Totals) int64) func() float64 {
		return func() float64 { return float64(f(l.store.totals())) }
	}
	m := l.stats
	r.Gauge("shoal_tracker_swarms", "Torrents with peers or a completed count.", nil,
		tot(func(t Totals) int64 { return t.Swarms }))
	for state, f := range map[string]func(Totals) int64{
		"seeder":  func(t Totals) int64 { return t.Seeders },
		"leecher": func(t Totals) int64 { return t.Leechers },
	} {
		r.Gauge("shoal_tracker_peers", "Peers currently in swarms.", metrics.Labels{"state": state}, tot(f))
	}
	for proto, c := range map[string][2]*atomic.Uint64{
		"http": {&m.announcesHTTP, &m.scrapesHTTP},
		"udp":  {&m.announcesUDP, &m.scrapesUDP},
	} {
		r.Counter("shoal_tracker_announces_total", "Announce requests received.", metrics.Labels{"proto": proto}, u(c[0]))
		r.Counter("shoal_tracker_scrapes_total", "Scrape requests received.", metrics.Labels{"proto": proto}, u(c[1]))
	}
	r.Counter("shoal_tracker_udp_connects_total", "UDP connect requests answered.", nil, u(&m.connectsUDP))
	r.Counter("shoal_tracker_cached_answers_total", "Announces sooner than min interval answered from cache.", nil, u(&m.cacheHits))
	for reason, c := range map[string]*atomic.Uint64{
		"bad_request":       &m.badRequests,
		"unregistered":      &m.unregistered,
		"passkey":           &m.badPasskey,
		"rate_limited":      &m.rateLimited,
		"full":              &m.full,
		"bad_connection_id": &m.badConnID,
	} {
		r.Counter("shoal_tracker_refused_total", "Requests refused, by reason.", metrics.Labels{"reason": reason}, u(c))
	}
	r.Gauge("shoal_tracker_uptime_seconds", "Seconds since the tracker started.", nil,
		func() float64 { return float64(int64(time.Since(started) / time.Second)) })
	if guard != nil {
		r.Gauge("shoal_tracker_http_connections", "HTTP connections open.", nil,
			func() float64 { n, _ := guard.open(netip.Addr{}); return float64(n) })
		const help = "HTTP connections closed to share them out: a new one from an address at its share (per_ip), or a waiting one to make room (full)."
		r.Counter("shoal_tracker_http_connections_closed_total", help, metrics.Labels{"reason": "per_ip"}, u(&guard.refusedPerIP))
		r.Counter("shoal_tracker_http_connections_closed_total", help, metrics.Labels{"reason": "full"}, u(&guard.evictedFull))
	}
	return r
}
