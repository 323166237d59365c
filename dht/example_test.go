package dht_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/dht"
)

// Three nodes on loopback: one bootstrap node that knows nobody, a seed that
// announces an infohash and a leecher that finds it.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(bootstrap ...string) *dht.Node {
		n, err := dht.New(dht.Config{ListenAddr: "127.0.0.1:0", Bootstrap: bootstrap, Logger: quiet})
		if err != nil {
			panic(err)
		}
		wg.Go(func() { n.Run(ctx) })
		return n
	}
	boot := start() // no Bootstrap: contacts nobody until contacted
	seed := start(boot.Addr().String())
	leecher := start(boot.Addr().String())
	for seed.Stats().Nodes < 2 || leecher.Stats().Nodes < 2 {
		time.Sleep(10 * time.Millisecond)
	}

	ih := [20]byte{1, 2, 3}
	if _, err := seed.Announce(ctx, ih, 51413); err != nil {
		panic(err)
	}
	peers, stats, err := leecher.GetPeers(ctx, ih)
	fmt.Println(err, slices.ContainsFunc(peers, func(p netip.AddrPort) bool { return p.Port() == 51413 }), stats.NodesResponded > 0)
	// Output: <nil> true true
}
