package dht

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// benchNetwork starts 200 nodes and announces seeds for 16 infohashes.
func benchNetwork(b *testing.B) ([]*Node, [][20]byte) {
	b.Helper()
	nodes := startNetwork(b, 200, Config{Logger: testLogger(b), AnnouncesPerIPPerMinute: 1 << 20})
	var hashes [][20]byte
	for i := range 16 {
		ih := randomHash()
		ctx, cancel := context.WithTimeout(b.Context(), lookupBound)
		_, err := nodes[rand.IntN(len(nodes))].Announce(ctx, ih, 30000+i)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		hashes = append(hashes, ih)
	}
	return nodes, hashes
}

func benchLookup(b *testing.B, nodes []*Node, hashes [][20]byte) (LookupStats, bool) {
	i := rand.IntN(len(hashes))
	ctx, cancel := context.WithTimeout(b.Context(), lookupBound)
	defer cancel()
	peers, st, err := nodes[rand.IntN(len(nodes))].GetPeers(ctx, hashes[i])
	want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(30000+i))
	return st, err == nil && slices.Contains(peers, want)
}

// BenchmarkLookup_200Nodes: time to a lookup result (ns/op is one whole
// get_peers traversal; first-peer-ms is when the seed's address arrived).
func BenchmarkLookup_200Nodes(b *testing.B) {
	nodes, hashes := benchNetwork(b)
	var first, contacted time.Duration
	var misses, n int
	for b.Loop() {
		st, ok := benchLookup(b, nodes, hashes)
		if !ok {
			misses++
		}
		first += st.FirstPeer
		contacted += time.Duration(st.NodesContacted)
		n++
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(n), "first-peer-ms")
	b.ReportMetric(float64(contacted)/float64(n), "contacted/op")
	b.ReportMetric(float64(misses), "misses")
}

// BenchmarkLookup_200NodesParallel: lookups per second with many lookups in
// flight from random nodes.
func BenchmarkLookup_200NodesParallel(b *testing.B) {
	nodes, hashes := benchNetwork(b)
	b.SetParallelism(8)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := benchLookup(b, nodes, hashes); !ok {
				b.Error("lookup missed the seed")
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
}
