package daemon

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/swarm"
)

func TestTransmissionBackend_SessionLimits(t *testing.T) {
	s, err := swarm.New(swarm.Config{ListenAddr: "127.0.0.1:0", DownLimitBps: swarm.NoLimitBps, UpLimitBps: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	d, err := New(Config{Session: s, Library: &Library{Dir: t.TempDir()}, DownloadDir: t.TempDir(), UpLimitBps: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	b := d.TransmissionBackend()
	if got := b.Settings(); got.DownLimitBps != 0 || got.UpLimitBps != 1<<20 {
		t.Errorf("settings at start: %+v", got)
	}
	if err := b.UpdateSettings(func(st *transmission.Settings) { st.DownLimitBps, st.UpLimitBps = 300_000, 0 }); err != nil {
		t.Fatalf("session-set of speed limits: %v", err)
	}
	if got := b.Settings(); got.DownLimitBps != 300_000 || got.UpLimitBps != 0 {
		t.Errorf("settings after the change: %+v", got)
	}
	if err := b.UpdateSettings(func(st *transmission.Settings) { st.SeedRatioLimit = 2 }); err != nil {
		t.Errorf("a seed ratio: %v", err)
	}
	if got := d.RatioGoal(); got != 2 {
		t.Errorf("the daemon's ratio goal after session-set: %v, want 2", got)
	}
	err = b.UpdateSettings(func(st *transmission.Settings) { st.DownloadDir = "/" })
	if err == nil || !strings.Contains(err.Error(), "outside the folders") {
		t.Errorf("a download dir outside the allowed ones: %v", err)
	}
}
