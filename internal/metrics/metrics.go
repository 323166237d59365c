// Package metrics is how shoal's servers expose Prometheus metrics: each
// server builds its own Registry (never the library's global one, so two
// servers in one process, or in one test binary, cannot clash) and serves
// it with Handler. The tracker uses it today; the daemon is meant to.
//
// Metrics whose value already lives somewhere (an atomic counter on a hot
// path, a store's totals) are registered as functions read at scrape time,
// with Counter and Gauge, so the hot path keeps its single atomic add.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry collects one server's metrics.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a registry holding the Go runtime's and the process's
// standard metrics (go_*, process_*), which cost nothing until scraped.
func NewRegistry() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Labels are constant label pairs, such as {"proto": "udp"}.
type Labels = prometheus.Labels

// Counter registers a counter whose value fn reads when scraped. Register
// one per label set to make a labelled family; every member must have the
// same name, help and label names. It panics on a clash, which is a
// programming error.
func (r *Registry) Counter(name, help string, labels Labels, fn func() float64) {
	r.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, fn))
}

// Gauge registers a gauge whose value fn reads when scraped, as Counter.
func (r *Registry) Gauge(name, help string, labels Labels, fn func() float64) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, fn))
}

// Register adds a collector of the library's own (a CounterVec, a
// Histogram, ...) for metrics that do not fit Counter or Gauge.
func (r *Registry) Register(c prometheus.Collector) error { return r.reg.Register(c) }

// Handler serves the registry in the Prometheus text format (or another the
// scraper asks for). A metric that fails to collect is logged by the
// library's error handling and left out; the others are still served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
