package metrics

import (
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A labelled family is built from one registration per label set, and
// values are read from the functions at scrape time.
func TestRegistry_FamiliesAndFuncs(t *testing.T) {
	r := NewRegistry()
	n := 1.0
	r.Counter("x_total", "Xs.", Labels{"proto": "udp"}, func() float64 { return n })
	r.Counter("x_total", "Xs.", Labels{"proto": "http"}, func() float64 { return 2 })
	r.Gauge("y", "Y.", nil, func() float64 { return 7 })
	n = 5 // read when scraped, not when registered

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range fams["x_total"].GetMetric() {
		got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	if got["udp"] != 5 || got["http"] != 2 || len(got) != 2 {
		t.Errorf("x_total = %v, want udp 5 and http 2", got)
	}
	if v := fams["y"].GetMetric()[0].GetGauge().GetValue(); v != 7 {
		t.Errorf("y = %v, want 7", v)
	}
	if fams["go_goroutines"] == nil {
		t.Error("the Go collector is missing")
	}
	if runtime.GOOS == "linux" && fams["process_cpu_seconds_total"] == nil {
		t.Error("the process collector is missing")
	}
}

// Two registrations that disagree about a family are a programming error.
func TestRegistry_ClashPanics(t *testing.T) {
	r := NewRegistry()
	r.Counter("z_total", "Zs.", Labels{"a": "1"}, func() float64 { return 0 })
	defer func() {
		if recover() == nil {
			t.Error("a second z_total with other help did not panic")
		}
	}()
	r.Counter("z_total", "Other help.", Labels{"a": "2"}, func() float64 { return 0 })
}
