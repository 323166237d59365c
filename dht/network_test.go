package dht

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// lookupBound is the promise the 200-node test checks: on loopback every
// lookup finishes well inside it (a lost reply costs one QueryTimeout, 2s).
const lookupBound = 10 * time.Second

// TestNetwork_200Nodes: a seed announces, and leechers that know only the
// infohash find it, every time.
func TestNetwork_200Nodes(t *testing.T) {
	const size = 200
	start := time.Now()
	nodes := startNetwork(t, size, Config{})
	var contacts []int
	for _, n := range nodes {
		contacts = append(contacts, n.Stats().Nodes)
	}
	slices.Sort(contacts)
	t.Logf("%d nodes up in %v; routing table sizes min %d median %d max %d",
		size, time.Since(start).Round(time.Millisecond), contacts[0], contacts[size/2], contacts[size-1])

	const hashes, lookupsPerHash = 5, 4
	var durations []time.Duration
	for h := range hashes {
		ih := randomHash()
		seed := nodes[rand.IntN(size)]
		port := 40000 + h
		ctx, cancel := context.WithTimeout(t.Context(), lookupBound)
		if _, err := seed.Announce(ctx, ih, port); err != nil {
			t.Fatalf("announce: %v", err)
		}
		cancel()
		want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
		for range lookupsPerHash {
			leecher := nodes[rand.IntN(size)]
			for leecher == seed {
				leecher = nodes[rand.IntN(size)]
			}
			ctx, cancel := context.WithTimeout(t.Context(), lookupBound)
			peers, st, err := leecher.GetPeers(ctx, ih)
			cancel()
			if err != nil {
				t.Fatalf("lookup %x from %v: %v", ih[:4], leecher.Addr(), err)
			}
			if !slices.Contains(peers, want) {
				diagnoseLookup(t, nodes, ih, want, leecher)
				t.Fatalf("lookup %x from %v: peers %v, want %v (%+v)", ih[:4], leecher.Addr(), peers, want, st)
			}
			durations = append(durations, st.Duration)
			t.Logf("lookup %x: first peer after %v, done after %v, %d contacted, %d responded",
				ih[:4], st.FirstPeer.Round(time.Microsecond), st.Duration.Round(time.Microsecond), st.NodesContacted, st.NodesResponded)
		}
	}
	slices.Sort(durations)
	t.Logf("%d/%d lookups found the seed; duration min %v median %v max %v (bound %v)",
		len(durations), hashes*lookupsPerHash, durations[0], durations[len(durations)/2], durations[len(durations)-1], lookupBound)
}

// diagnoseLookup logs which nodes hold the peer, by XOR rank from ih.
func diagnoseLookup(t *testing.T, nodes []*Node, ih [20]byte, want netip.AddrPort, leecher *Node) {
	t.Helper()
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b *Node) int { return cmpDistance(a.ID(), b.ID(), ih) })
	for rank, n := range sorted[:16] {
		holds := false
		for _, p := range n.store.GetPeers(ih) {
			ap, _ := addrPort(p)
			holds = holds || ap == want
		}
		t.Logf("rank %d node %v holds=%v leecher=%v contacts=%d", rank, n.Addr(), holds, n == leecher, n.Stats().Nodes)
	}
}

func cmpDistance(a, b, target [20]byte) int {
	for i := range target {
		da, db := a[i]^target[i], b[i]^target[i]
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
	}
	return 0
}

// AnnounceFound hands over each peer as a node names it, before the lookup
// returns: every peer the lookup returns went to found first, once.
func TestNetwork_AnnounceFoundStreams(t *testing.T) {
	nodes := startNetwork(t, 30, Config{})
	ih := randomHash()
	for k, seed := range nodes[:3] {
		if _, err := seed.Announce(t.Context(), ih, 41000+k); err != nil {
			t.Fatalf("announce: %v", err)
		}
	}
	var (
		mu       sync.Mutex
		streamed []netip.AddrPort
		returned bool
		late     bool
	)
	peers, _, err := nodes[len(nodes)-1].AnnounceFound(t.Context(), ih, 41999, func(found []netip.AddrPort) {
		mu.Lock()
		defer mu.Unlock()
		late = late || returned
		streamed = append(streamed, found...)
	})
	mu.Lock()
	returned = true
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 3 {
		t.Fatalf("lookup returned %v, want the 3 seeds", peers)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(streamed, netip.AddrPort.Compare)
	slices.SortFunc(peers, netip.AddrPort.Compare)
	if !slices.Equal(streamed, peers) || late {
		t.Fatalf("streamed %v (late: %v), returned %v", streamed, late, peers)
	}
}
