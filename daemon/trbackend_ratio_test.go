package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/swarm"
)

// rpc sends one Transmission request to h as a remote would, session id
// dance included, and returns its arguments.
func rpc(t *testing.T, h http.Handler, method string, args any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"method": method, "arguments": args})
	sid := ""
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/transmission/rpc", bytes.NewReader(body))
		req.Header.Set(transmission.SessionIDHeader, sid)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == http.StatusConflict {
			sid = w.Header().Get(transmission.SessionIDHeader)
			continue
		}
		var out struct {
			Result    string         `json:"result"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Result != "success" {
			t.Fatalf("%s: %d %s (%v)", method, w.Code, w.Body, err)
		}
		return out.Arguments
	}
	t.Fatalf("%s: no session id", method)
	return nil
}

// session-set's seedRatioLimit/seedRatioLimited change the daemon's global
// seed ratio goal (the one RunGoals checks), and session-get reports it. A
// torrent at ratio 2 (uploaded in earlier runs) seeds on under the
// config's goal of 3 and is paused once a remote lowers the goal to 1.5.
func TestTransmissionSessionRatio_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	tor := makeTorrent(t, dir, "ratio")
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	if err := d.editSettings(hexOf(ih), func(s *TorrentSettings) { s.UploadedBefore = 2 * tor.Info.Length }); err != nil {
		t.Fatal(err)
	}
	state := func() swarm.State {
		if ts := d.snapshotOf(ih); ts != nil {
			return ts.State
		}
		return -1
	}
	waitFor(t, "the torrent to seed", 30*time.Second, func() bool { return state() == swarm.StateSeeding })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.RunGoals(ctx, Goals{SeedRatio: 3, Every: 10 * time.Millisecond}) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	waitFor(t, "RunGoals to start", 10*time.Second, func() bool { return d.RatioGoal() == 3 })

	th, err := transmission.New(transmission.Config{Backend: d.TransmissionBackend()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	th.Register(mux)
	get := func() (float64, bool) {
		a := rpc(t, mux, "session-get", map[string]any{"fields": []string{"seedRatioLimit", "seedRatioLimited"}})
		r, _ := a["seedRatioLimit"].(float64)
		on, _ := a["seedRatioLimited"].(bool)
		return r, on
	}
	if r, on := get(); r != 3 || !on {
		t.Errorf("session-get with seed_ratio 3 in the config: %v, %v", r, on)
	}
	time.Sleep(200 * time.Millisecond) // many goal checks
	if st := state(); st != swarm.StateSeeding {
		t.Fatalf("at ratio 2 under a goal of 3 the torrent is %v, want seeding", st)
	}
	rpc(t, mux, "session-set", map[string]any{"seedRatioLimit": 1.5, "seedRatioLimited": true})
	waitFor(t, "the lowered goal to pause the torrent", 30*time.Second, func() bool { return state() == swarm.StatePaused })
	if r, on := get(); r != 1.5 || !on {
		t.Errorf("session-get after setting 1.5: %v, %v", r, on)
	}
	if g := d.RatioGoal(); g != 1.5 {
		t.Errorf("the daemon's goal after setting 1.5: %v", g)
	}
	rpc(t, mux, "session-set", map[string]any{"seedRatioLimited": false})
	if r, on := get(); on {
		t.Errorf("session-get after turning the limit off: %v, %v", r, on)
	}
	if g := d.RatioGoal(); g != 0 {
		t.Errorf("the daemon's goal after turning it off: %v, want 0 (none)", g)
	}
	rpc(t, mux, "session-set", map[string]any{"seedRatioLimited": true})
	if r, on := get(); r != 1.5 || !on {
		t.Errorf("turning the limit back on: %v, %v; want the last ratio, 1.5", r, on)
	}
}
