package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/adrg/xdg"

	"github.com/shoal-bt/shoal/dht"
)

// TestDHTLookup_ExplicitBootstrapFirst: with a saved routing table of
// nodes that are gone, 'dht lookup --bootstrap X' asks X (it used to walk
// the saved table only and ask nobody).
func TestDHTLookup_ExplicitBootstrapFirst(t *testing.T) {
	stateHome := t.TempDir()
	old := xdg.StateHome
	xdg.StateHome = stateHome
	t.Cleanup(func() { xdg.StateHome = old })
	t.Setenv(envDHTBootstrap, "")

	// A node that answered once, saved in the default table, then gone.
	gone := runDHTNode(t)
	saver, err := dht.New(dht.Config{ListenAddr: "127.0.0.1:0", Bootstrap: []string{gone.Addr().String()},
		StateFile: defaultDHTStateFile("dht"), Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { saver.Run(ctx) })
	waitDHTNodes(t, saver, 1)
	cancel()
	wg.Wait()
	gone.Close()
	if _, err := os.Stat(filepath.Join(stateHome, "shoal", "dht.dat")); err != nil {
		t.Fatalf("no saved table: %v", err)
	}

	live := runDHTNode(t)
	code, out, errs := shoalRun(t, "dht", "lookup", "--json", "0123456789abcdef0123456789abcdef01234567",
		"--bootstrap", live.Addr().String(), "--listen", "127.0.0.1:0", "--timeout", "3s")
	var res jsonLookup
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("lookup: exit %d, %q %q (%v)", code, out, errs, err)
	}
	if res.NodesResponded < 1 {
		t.Errorf("lookup with --bootstrap %s and a stale saved table: %d of %d nodes answered; want the named node asked",
			live.Addr(), res.NodesResponded, res.NodesContacted)
	}
}
