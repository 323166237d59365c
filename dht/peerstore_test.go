package dht

import (
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
)

func na(s string) krpc.NodeAddr {
	ap := netip.MustParseAddrPort(s)
	return krpc.NodeAddr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())}
}

// checkInvariants fails if the store's counters disagree with its contents.
func checkInvariants(t *testing.T, s *peerStore) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := 0
	for ih, el := range s.hashes {
		hp := el.Value.(*hashPeers)
		if hp.ih != ih || len(hp.peers) == 0 || len(hp.peers) > s.maxPerHash {
			t.Fatalf("hash %x: ih %x, %d peers (max %d)", ih[:4], hp.ih[:4], len(hp.peers), s.maxPerHash)
		}
		sum += len(hp.peers)
	}
	if sum != s.numPeers || s.lru.Len() != len(s.hashes) || len(s.hashes) > s.maxHashes || s.numPeers > s.maxPeers {
		t.Fatalf("numPeers %d (sum %d, max %d), lru %d, hashes %d (max %d)",
			s.numPeers, sum, s.maxPeers, s.lru.Len(), len(s.hashes), s.maxHashes)
	}
}

func peerStrings(s *peerStore, ih [20]byte) map[string]bool {
	got := map[string]bool{}
	for _, p := range s.GetPeers(ih) {
		got[p.String()] = true
	}
	return got
}

// unlimited lifts the rate limit so tests of the caps test only the caps.
func unlimited(c Config) Config {
	c.AnnouncesPerIPPerMinute = 1 << 30
	return c.withDefaults()
}

func TestPeerStore_KeyedByIPPort(t *testing.T) {
	s := newPeerStore(unlimited(Config{}))
	ih := randomHash()
	for _, p := range []string{"10.0.0.1:1000", "10.0.0.1:1001", "10.0.0.2:1000", "10.0.0.1:1000", "[2001:db8::1]:6881"} {
		s.AddPeer(ih, na(p))
	}
	got := peerStrings(s, ih)
	for _, want := range []string{"10.0.0.1:1000", "10.0.0.1:1001", "10.0.0.2:1000", "[2001:db8::1]:6881"} {
		if !got[want] {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("got %d peers %v, want 4", len(got), got)
	}
	checkInvariants(t, s)
}

func TestPeerStore_RejectsUnusable(t *testing.T) {
	s := newPeerStore(unlimited(Config{}))
	ih := randomHash()
	for _, p := range []krpc.NodeAddr{
		{IP: net.IPv4(10, 0, 0, 1), Port: 0},
		{IP: net.IPv4(10, 0, 0, 1), Port: 70000},
		{IP: net.IPv4zero, Port: 6881},
		{IP: net.IP{1, 2, 3}, Port: 6881},
		{IP: net.IPv4(224, 0, 0, 1), Port: 6881},
	} {
		s.AddPeer(ih, p)
	}
	if st := s.stats(); st.peers != 0 || st.counts.invalid != 5 {
		t.Errorf("stats %+v, want 0 peers and 5 invalid", st)
	}
}

func TestPeerStore_PerHashCapDropsOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newPeerStore(unlimited(Config{MaxPeersPerHash: 500}))
		ih := randomHash()
		for i := range 600 {
			s.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 6881})
			time.Sleep(time.Millisecond) // distinct announce times
		}
		checkInvariants(t, s)
		if st := s.stats(); st.peers != 500 || st.counts.evicted != 100 {
			t.Fatalf("stats %+v, want 500 peers, 100 evicted", st)
		}
		// The first 100 announced are the ones dropped.
		s.mu.Lock()
		defer s.mu.Unlock()
		for ap := range s.hashes[ih].Value.(*hashPeers).peers {
			if i := int(ap.Addr().As4()[2])<<8 | int(ap.Addr().As4()[3]); i < 100 {
				t.Errorf("peer %d (%v) kept, want it dropped as one of the oldest", i, ap)
			}
		}
	})
}

func TestPeerStore_ReannounceRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newPeerStore(unlimited(Config{MaxPeersPerHash: 2}))
		ih := randomHash()
		s.AddPeer(ih, na("10.0.0.1:1"))
		time.Sleep(time.Second)
		s.AddPeer(ih, na("10.0.0.2:1"))
		time.Sleep(time.Second)
		s.AddPeer(ih, na("10.0.0.1:1")) // now .2 is the oldest
		time.Sleep(time.Second)
		s.AddPeer(ih, na("10.0.0.3:1"))
		got := peerStrings(s, ih)
		if !got["10.0.0.1:1"] || got["10.0.0.2:1"] || !got["10.0.0.3:1"] {
			t.Errorf("peers %v, want 10.0.0.1:1 and 10.0.0.3:1", got)
		}
		checkInvariants(t, s)
	})
}

func TestPeerStore_MaxHashesDropsLeastRecent(t *testing.T) {
	s := newPeerStore(unlimited(Config{MaxHashes: 10}))
	var hashes [][20]byte
	for i := range 15 {
		ih := randomHash()
		hashes = append(hashes, ih)
		s.AddPeer(ih, na("10.0.0.1:6881"))
		if i == 9 {
			s.AddPeer(hashes[0], na("10.0.0.2:6881")) // hash 0 is fresh again
		}
	}
	checkInvariants(t, s)
	if st := s.stats(); st.hashes != 10 {
		t.Fatalf("%d hashes, want 10", st.hashes)
	}
	for i, ih := range hashes {
		kept := len(s.GetPeers(ih)) > 0
		if want := i == 0 || i >= 6; kept != want {
			t.Errorf("hash %d kept = %v, want %v", i, kept, want)
		}
	}
}

func TestPeerStore_MaxPeers(t *testing.T) {
	s := newPeerStore(unlimited(Config{MaxPeers: 1000, MaxPeersPerHash: 300}))
	for range 10 {
		ih := randomHash()
		for i := range 300 {
			s.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4(10, 1, byte(i>>8), byte(i)), Port: 6881})
		}
	}
	checkInvariants(t, s)
	if st := s.stats(); st.peers != 1000 {
		t.Errorf("%d peers, want 1000", st.peers)
	}
}

func TestPeerStore_Expiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newPeerStore(unlimited(Config{PeerTTL: 30 * time.Minute}))
		old, fresh := randomHash(), randomHash()
		s.AddPeer(old, na("10.0.0.1:1"))
		s.AddPeer(fresh, na("10.0.0.1:1"))
		time.Sleep(20 * time.Minute)
		s.AddPeer(fresh, na("10.0.0.2:1"))
		time.Sleep(10 * time.Minute) // old and fresh's first peer are now 30 min old
		if got := peerStrings(s, fresh); len(got) != 1 || !got["10.0.0.2:1"] {
			t.Errorf("fresh hash peers %v, want only 10.0.0.2:1", got)
		}
		s.expire(time.Now())
		checkInvariants(t, s)
		if st := s.stats(); st.hashes != 1 || st.peers != 1 || st.counts.expired != 2 {
			t.Errorf("after expire: %+v, want 1 hash, 1 peer, 2 expired", st)
		}
		if got := s.GetPeers(old); len(got) != 0 {
			t.Errorf("expired hash still has %v", got)
		}
	})
}

func TestPeerStore_ReplyIsBounded(t *testing.T) {
	s := newPeerStore(unlimited(Config{}))
	ih := randomHash()
	for i := range 500 {
		s.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4(10, 2, byte(i>>8), byte(i)), Port: 6881})
	}
	seen := map[string]bool{}
	for range 20 {
		got := s.GetPeers(ih)
		if len(got) != maxReplyPeers {
			t.Fatalf("reply has %d peers, want %d", len(got), maxReplyPeers)
		}
		for _, p := range got {
			seen[p.String()] = true
		}
	}
	// Random samples, so over 20 replies far more than one reply's worth
	// of the 500 peers gets handed out.
	if len(seen) < 3*maxReplyPeers {
		t.Errorf("20 replies covered only %d distinct peers", len(seen))
	}
}

func TestPeerStore_RateLimitPerIP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newPeerStore(Config{AnnouncesPerIPPerMinute: 60}.withDefaults())
		for i := range 100 {
			s.AddPeer(randomHash(), krpc.NodeAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1000 + i})
		}
		if st := s.stats(); st.counts.accepted != 60 || st.counts.rateLimited != 40 {
			t.Fatalf("burst: %+v, want 60 accepted, 40 limited", st.counts)
		}
		// Another source is not affected.
		s.AddPeer(randomHash(), na("10.0.0.2:1"))
		// An IPv6 /64 is one source.
		for i := range 70 {
			s.AddPeer(randomHash(), krpc.NodeAddr{IP: net.ParseIP("2001:db8::" + string(rune('a'+i%6))), Port: 1})
		}
		if st := s.stats(); st.counts.accepted != 121 {
			t.Fatalf("other sources: %d accepted, want 121", st.counts.accepted)
		}
		time.Sleep(time.Second) // refills one token
		s.AddPeer(randomHash(), na("10.0.0.1:1"))
		s.AddPeer(randomHash(), na("10.0.0.1:2"))
		if st := s.stats(); st.counts.accepted != 122 {
			t.Fatalf("after 1s: %d accepted, want 122", st.counts.accepted)
		}
	})
}

// TestPeerStore_Flood: 100,000 announces for random infohashes from one
// address, spread over ten (fake) minutes, stay within the rate limit and
// every cap; with the limit lifted they still stay within the caps.
func TestPeerStore_Flood(t *testing.T) {
	const announces = 100_000
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{AnnouncesPerIPPerMinute: 60, MaxHashes: 1000, MaxPeers: 5000}.withDefaults()
		s := newPeerStore(cfg)
		for i := range announces {
			s.AddPeer(randomHash(), krpc.NodeAddr{IP: net.IPv4(198, 51, 100, 7), Port: 1024 + i%60000})
			if i%1000 == 999 {
				time.Sleep(6 * time.Second) // 100 steps of 6s: ten minutes
			}
		}
		st := s.stats()
		checkInvariants(t, s)
		// A 60-token burst plus 60 per minute for ten minutes.
		if max := int64(60 + 10*60); st.counts.accepted > max || st.counts.accepted < 60 {
			t.Errorf("accepted %d announces, want 60..%d", st.counts.accepted, max)
		}
		if st.counts.accepted+st.counts.rateLimited != announces {
			t.Errorf("accepted %d + limited %d != %d", st.counts.accepted, st.counts.rateLimited, announces)
		}
		t.Logf("rate limited: %+v", st)
	})
	s := newPeerStore(unlimited(Config{MaxHashes: 1000, MaxPeers: 5000}))
	for i := range announces {
		s.AddPeer(randomHash(), krpc.NodeAddr{IP: net.IPv4(198, 51, 100, 7), Port: 1024 + i%60000})
	}
	checkInvariants(t, s)
	if st := s.stats(); st.hashes != 1000 || st.peers != 1000 || st.counts.evicted != announces-1000 {
		t.Errorf("unlimited flood: %+v, want 1000 hashes and peers", st)
	}
}

func TestIPLimiter_TableBounded(t *testing.T) {
	l := newIPLimiter(1)
	l.maxIPs = 100
	now := time.Now()
	for i := range 200 {
		l.allow(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), now)
	}
	if len(l.buckets) > 100 {
		t.Fatalf("%d buckets, want at most 100", len(l.buckets))
	}
	// Once their buckets refill, old sources are forgotten and new ones admitted.
	if !l.allow(netip.MustParseAddr("10.8.0.1"), now.Add(2*time.Minute)) {
		t.Error("new source refused after old buckets refilled")
	}
}

// TestPeerStore_OneOffsKeepAPopularHash: a hash four peers announced stays
// while fifty one-off hashes from other addresses fill the store past both
// caps (before, as the least recently announced, it went first, and the
// churn test's lookups of it found nothing); one-offs make room for each
// other, and the popular hash gives up peers only to the store's peer cap.
func TestPeerStore_OneOffsKeepAPopularHash(t *testing.T) {
	s := newPeerStore(unlimited(Config{MaxHashes: 8, MaxPeers: 16, MaxPeersPerHash: 4}))
	popular := randomHash()
	for i := range 4 {
		s.AddPeer(popular, krpc.NodeAddr{IP: net.IPv4(10, 0, 0, byte(1+i)), Port: 6881})
	}
	var last [20]byte
	for i := range 50 {
		last = randomHash()
		s.AddPeer(last, krpc.NodeAddr{IP: net.IPv4(10, 1, 0, byte(1+i)), Port: 6881})
		checkInvariants(t, s)
	}
	if n := len(s.GetPeers(popular)); n != 4 {
		t.Errorf("the popular hash has %d peers after 50 one-offs, want its 4", n)
	}
	if len(s.GetPeers(last)) != 1 {
		t.Error("the newest one-off was not kept")
	}
	// Two-peer hashes then fill the peer cap: it takes the oldest peer of
	// the biggest hash, the popular one, not a two-peer hash's.
	var pairs [][20]byte
	for i := range 7 {
		ih := randomHash()
		pairs = append(pairs, ih)
		for k := range 2 {
			s.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4(10, 2, byte(i), byte(1+k)), Port: 6881})
		}
		checkInvariants(t, s)
	}
	if n := len(s.GetPeers(popular)); n < 2 || n > 3 {
		t.Errorf("the popular hash kept %d peers, want 2 or 3 (it alone gave peers up)", n)
	}
	for i, ih := range pairs {
		if n := len(s.GetPeers(ih)); n != 2 {
			t.Errorf("two-peer hash %d has %d peers", i, n)
		}
	}
}
