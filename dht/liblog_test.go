package dht

import (
	"context"
	"log/slog"
	"testing"

	alog "github.com/anacrolix/log"
)

// TestLibLogger_FilteredCallsAreFree checks that a library debug line
// that our logger filters out costs no allocation. Upstream anacrolix/log
// builds the message, walks the caller's stack and takes one process-wide
// mutex before its filter; anacrolix/dht logs several lines per packet,
// under its server's lock, so thousands of nodes in one process queued on
// that mutex and stalled (third_party/anacrolix-log/SHOAL-PATCH.md). No
// allocation here means the filter came first.
func TestLibLogger_FilteredCallsAreFree(t *testing.T) {
	lg := libLogger(slog.New(slog.DiscardHandler)).WithDefaultLevel(alog.Debug)
	if allocs := testing.AllocsPerRun(100, func() {
		lg.Levelf(alog.Debug, "refreshing bucket")
		lg.Printf("received query")
	}); allocs != 0 {
		t.Errorf("a filtered library log call allocates %v times: it builds the message (and takes anacrolix/log's global mutex) before filtering", allocs)
	}

	// What passes the filter still arrives.
	var got []string
	h := slog.New(recordFunc(func(r slog.Record) { got = append(got, r.Message) }))
	libLogger(h).Levelf(alog.Error, "no nodes")
	if len(got) != 1 {
		t.Errorf("an error from the library reached the slog logger %d times, want once", len(got))
	}
}

// recordFunc is a slog.Handler at info level that hands each record to f.
type recordFunc func(slog.Record)

func (f recordFunc) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (f recordFunc) Handle(_ context.Context, r slog.Record) error {
	f(r)
	return nil
}
func (f recordFunc) WithAttrs([]slog.Attr) slog.Handler { return f }
func (f recordFunc) WithGroup(string) slog.Handler      { return f }
