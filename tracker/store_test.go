package tracker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestExpiry_Synctest runs the housekeeping loop in a synctest bubble, so
// minutes of peer silence pass without sleeping.
func TestExpiry_Synctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, err := Config{Interval: time.Minute, MinInterval: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		acc, err := newAccess(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{cfg: cfg, log: cfg.Logger, acc: acc, l: newLogic(cfg, acc)}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { s.housekeep(ctx) })
		defer func() { cancel(); wg.Wait() }()

		ih := ihOf("expiry")
		announce := func(port uint16, ev Event) {
			t.Helper()
			req := AnnounceRequest{InfoHash: ih, Port: port, Left: 1, Event: ev, NumWant: -1}
			var res announceResult
			if err := s.l.announce(&req, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port), "", true, &res); err != nil {
				t.Fatal(err)
			}
		}
		announce(1, EventStarted)
		time.Sleep(time.Minute)
		announce(2, EventStarted)
		// Peer 1 is silent for PeerTTL (2m) plus a sweep; peer 2 for less.
		time.Sleep(time.Minute + cfg.MinInterval + time.Second)
		synctest.Wait()
		if tot := s.Totals(); tot.Leechers != 1 || tot.Swarms != 1 {
			t.Fatalf("after peer 1's TTL: %+v, want only peer 2", tot)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if tot := s.Totals(); tot != (Totals{}) {
			t.Fatalf("after both TTLs: %+v, want an empty store", tot)
		}
	})
}

// TestStore_RandomAnnounces drives the store with 100,000 random announces
// and checks it against a model after each batch.
func TestStore_RandomAnnounces(t *testing.T) {
	st := newStore(0)
	rng := rand.New(rand.NewPCG(1, 2))
	type peer struct {
		ih   InfoHash
		addr netip.AddrPort
	}
	model := map[peer]bool{} // -> seeder
	completed := map[InfoHash]uint64{}
	ihs := make([]InfoHash, 50)
	for i := range ihs {
		ihs[i] = ihOf(fmt.Sprint(i))
	}
	addrs := make([]netip.AddrPort, 300)
	for i := range addrs {
		var ip netip.Addr
		if i%3 == 0 {
			var b [16]byte
			b[0], b[15] = 0xfd, byte(i)
			ip = netip.AddrFrom16(b)
		} else {
			ip = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		}
		addrs[i] = netip.AddrPortFrom(ip, uint16(1000+i%7))
	}
	var res announceResult
	for n := range 100_000 {
		p := peer{ihs[rng.IntN(len(ihs))], addrs[rng.IntN(len(addrs))]}
		ev := Event(rng.IntN(4))
		seeder := rng.IntN(3) == 0
		want := rng.IntN(60)
		res = announceResult{Peers4: res.Peers4[:0], Peers6: res.Peers6[:0]}
		if err := st.announce(p.ih, p.addr, seeder, ev, want, true, &res); err != nil {
			t.Fatal(err)
		}
		was, known := model[p]
		if !(known && was) && (ev == EventCompleted || known && seeder) {
			completed[p.ih]++
		}
		if ev == EventStopped {
			delete(model, p)
		} else {
			model[p] = seeder
		}
		if got := len(res.Peers4)/6 + len(res.Peers6)/18; got > want || len(res.Peers4)%6 != 0 || len(res.Peers6)%18 != 0 {
			t.Fatalf("announce %d: %d peers for numwant %d", n, got, want)
		}
		if n%10_000 == 9_999 {
			checkModel(t, st, func(ih InfoHash) (s, l int) {
				for q, seed := range model {
					if q.ih == ih {
						if seed {
							s++
						} else {
							l++
						}
					}
				}
				return s, l
			}, ihs, completed)
		}
	}
}

func checkModel(t *testing.T, st *peerStore, count func(InfoHash) (int, int), ihs []InfoHash, completed map[InfoHash]uint64) {
	t.Helper()
	var seeders, leechers int64
	for _, ih := range ihs {
		s, l := count(ih)
		seeders += int64(s)
		leechers += int64(l)
		if got := st.scrape(ih); got != (ScrapeStats{Complete: s, Incomplete: l, Downloaded: completed[ih]}) {
			t.Fatalf("%s: scrape %+v, model %d/%d/%d", ih, got, s, l, completed[ih])
		}
	}
	if tot := st.totals(); tot.Seeders != seeders || tot.Leechers != leechers {
		t.Fatalf("totals %+v, model %d seeders %d leechers", tot, seeders, leechers)
	}
}

// TestStore_BigSwarm crosses the index threshold both ways.
func TestStore_BigSwarm(t *testing.T) {
	st := newStore(0)
	ih := ihOf("big")
	var res announceResult
	for i := range 200 {
		if err := st.announce(ih, netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(i+1)), false, EventStarted, 0, true, &res); err != nil {
			t.Fatal(err)
		}
	}
	sw := st.shard(ih).swarms[ih]
	if sw.v4.index == nil || sw.v4.len(stride4) != 200 {
		t.Fatalf("200 peers: index %v, len %d", sw.v4.index != nil, sw.v4.len(stride4))
	}
	for i := range 190 {
		if err := st.announce(ih, netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(i+1)), false, EventStopped, 0, true, &res); err != nil {
			t.Fatal(err)
		}
	}
	if sw.v4.index != nil || sw.v4.len(stride4) != 10 || sw.leechers != 10 {
		t.Fatalf("10 peers left: index %v, len %d, leechers %d", sw.v4.index != nil, sw.v4.len(stride4), sw.leechers)
	}
	res = announceResult{}
	if err := st.announce(ih, netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), 195), false, EventNone, 50, true, &res); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(res.Peers4); i += 6 {
		if port := binary.BigEndian.Uint16(res.Peers4[i+4:]); port < 191 || port > 200 || port == 195 {
			t.Errorf("returned port %d, want 191-200 except the asker", port)
		}
	}
	if len(res.Peers4) != 9*6 {
		t.Errorf("got %d peers, want the 9 others", len(res.Peers4)/6)
	}
}

// TestLogic_RandomRequests throws 100,000 random HTTP queries and UDP packets
// (valid, mutated and junk) at the handlers: no panics, and the store's
// totals always equal the sum over its swarms.
func TestLogic_RandomRequests(t *testing.T) {
	cfg, _ := Config{NoRateLimit: true, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	l := newLogic(cfg, acc)
	u := &udpFrontend{l: l, ids: newConnIDs([]byte("secret")), log: cfg.Logger}
	rng := rand.New(rand.NewPCG(3, 4))
	from := netip.MustParseAddrPort("127.0.0.1:9")
	connID := u.ids.issue(from.Addr(), time.Now())
	var res announceResult
	var scrape []scrapeEntry
	out := make([]byte, 0, 1500)
	for n := range 100_000 {
		req := AnnounceRequest{InfoHash: ihOf(fmt.Sprint(rng.IntN(100))), PeerID: peerIDOf(n), Port: uint16(1 + rng.IntN(500)),
			Left: uint64(rng.IntN(2)), Event: Event(rng.IntN(4)), NumWant: int32(rng.IntN(300) - 1), Compact: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			b := []byte(req.Query())
			for range rng.IntN(3) {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			if r, err := ParseAnnounce(string(b)); err == nil {
				res = announceResult{Peers4: res.Peers4[:0], Peers6: res.Peers6[:0]}
				_ = l.announce(&r, netip.AddrPortFrom(from.Addr(), r.Port), "", true, &res)
				appendAnnounceHTTP(out[:0], &res, 120, 30, r.Compact)
			}
			continue
		}
		pkt := AppendUDP(nil, UDPRequest{ConnID: connID, Action: ActionAnnounce, TxID: uint32(n), Announce: req})
		switch rng.IntN(4) {
		case 0:
			pkt[rng.IntN(len(pkt))] ^= byte(1 + rng.IntN(255))
		case 1:
			pkt = pkt[:rng.IntN(len(pkt))]
		case 2:
			pkt = AppendUDP(nil, UDPRequest{ConnID: connID, Action: ActionScrape, TxID: uint32(n), InfoHashes: []InfoHash{req.InfoHash}})
		}
		out = u.handle(pkt, from, out[:0], &res, &scrape)
		if len(pkt) >= udpHeaderLen && len(out) < 8 {
			t.Fatalf("packet %x got no answer", pkt)
		}
	}
	var sum Totals
	l.store.swarmStats(func(st SwarmStats) {
		sum.Swarms++
		sum.Seeders += int64(st.Seeders)
		sum.Leechers += int64(st.Leechers)
	})
	if tot := l.store.totals(); tot != sum {
		t.Fatalf("totals %+v, sum over swarms %+v", tot, sum)
	}
}

// TestLogic_EventsBypassCache checks a stop is not hidden by an answer
// cached before it: the peer's next regular announce reaches the store.
func TestLogic_EventsBypassCache(t *testing.T) {
	cfg, _ := Config{NoRateLimit: true, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	l := newLogic(cfg, acc)
	addr := netip.MustParseAddrPort("10.0.0.1:1")
	announce := func(ev Event) {
		t.Helper()
		req := AnnounceRequest{InfoHash: ihOf("cache"), Port: 1, Left: 1, Event: ev, NumWant: -1}
		var res announceResult
		if err := l.announce(&req, addr, "", true, &res); err != nil {
			t.Fatal(err)
		}
	}
	announce(EventNone)
	announce(EventNone) // too soon: cached
	announce(EventNone) // served from the cache
	if l.stats.cacheHits.Load() != 1 {
		t.Fatalf("cache hits %d, want 1", l.stats.cacheHits.Load())
	}
	announce(EventStopped)
	announce(EventNone)
	if tot := l.store.totals(); tot.Leechers != 1 {
		t.Errorf("after stop and re-announce: %+v, want the peer back", tot)
	}
}

// TestStore_Full checks a full store makes room by dropping counter-only
// swarms, and refuses new torrents only when every swarm has peers.
func TestStore_Full(t *testing.T) {
	st := newStore(2)
	var res announceResult
	peer := netip.MustParseAddrPort("10.0.0.1:1")
	st.setCompleted(ihOf("old counter"), 5)
	if err := st.announce(ihOf("a"), peer, false, EventStarted, 0, true, &res); err != nil {
		t.Fatal(err)
	}
	if err := st.announce(ihOf("b"), peer, false, EventStarted, 0, true, &res); err != nil && !errors.Is(err, ErrFull) {
		t.Fatal(err)
	}
	// Unless the counter shared b's shard, room is made by the next sweep.
	st.expire(time.Hour)
	if err := st.announce(ihOf("b"), peer, false, EventStarted, 0, true, &res); err != nil {
		t.Fatalf("full store after a sweep: %v", err)
	}
	if got := st.scrape(ihOf("old counter")); got.Downloaded != 0 {
		t.Errorf("the counter-only swarm was kept: %+v", got)
	}
	if err := st.announce(ihOf("c"), peer, false, EventStarted, 0, true, &res); !errors.Is(err, ErrFull) {
		t.Errorf("full store of live swarms: err = %v, want ErrFull", err)
	}
	if tot := st.totals(); tot.Swarms != 2 || tot.Leechers != 2 {
		t.Errorf("totals %+v", tot)
	}
}
