package swarm_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// A session stopped while its started announce is still waiting for the
// tracker's reply says stopped too: the tracker may have counted the
// started. Before, only an announce whose reply had come was followed by
// a stopped, and TestShutdown_CtrlCSeed failed once in CI on that window.
func TestAnnounce_StoppedAfterUnansweredStarted(t *testing.T) {
	var mu sync.Mutex
	var events []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := r.URL.Query().Get("event")
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
		if ev == "started" {
			<-r.Context().Done() // never answered: the client gives up at shutdown
			return
		}
		w.Write([]byte("d8:intervali1800e5:peers0:e"))
	}))
	t.Cleanup(srv.Close)
	seen := func(ev string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(events, ev)
	}
	src, root := payload(t, 71, testnet.File{Path: "s.bin", Size: 100_000})
	tor := testnet.Create(t, root, 16<<10, srv.URL+"/announce")
	s, stop := testnet.StartStoppable(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !seen("started"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no started announce in 20s")
		}
	}
	stop()
	if !seen("stopped") {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("tracker saw %q, want a stopped after the unanswered started", events)
	}
}
