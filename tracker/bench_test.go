package tracker

import (
	"encoding/binary"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// benchLogic is a store of 10,000 torrents x 10 peers.
func benchLogic(b *testing.B) (*logic, []InfoHash) {
	cfg, _ := Config{NoRateLimit: true, MinInterval: time.Second, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	l := newLogic(cfg, acc)
	ihs := make([]InfoHash, 10_000)
	var res announceResult
	for i := range ihs {
		var ih InfoHash
		binary.LittleEndian.PutUint64(ih[:], uint64(i)*0x9e3779b97f4a7c15)
		ihs[i] = ih
		for j := range 10 {
			_ = l.store.announce(ih, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(j)}), 6881), j%2 == 0, EventStarted, 0, true, &res)
		}
	}
	return l, ihs
}

// BenchmarkUDPHandle is the CPU cost of one UDP announce, without syscalls.
func BenchmarkUDPHandle(b *testing.B) {
	l, ihs := benchLogic(b)
	u := &udpFrontend{l: l, ids: newConnIDs(make([]byte, 32)), log: l.cfg.Logger}
	from := netip.MustParseAddrPort("10.0.0.3:6881")
	id := u.ids.issue(from.Addr(), time.Now())
	pkts := make([][]byte, len(ihs))
	for i, ih := range ihs {
		pkts[i] = AppendUDP(nil, UDPRequest{ConnID: id, Action: ActionAnnounce, TxID: 1,
			Announce: AnnounceRequest{InfoHash: ih, Port: 6881, Left: 1, NumWant: -1}})
	}
	out := make([]byte, 0, 1500)
	var res announceResult
	var scrape []scrapeEntry
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		out = u.handle(pkts[i%len(pkts)], from, out[:0], &res, &scrape)
		i++
	}
}

// BenchmarkHTTPAnnounce is the handler's cost of one HTTP announce, without
// the network and net/http's connection handling.
func BenchmarkHTTPAnnounce(b *testing.B) {
	l, ihs := benchLogic(b)
	h := &httpFrontend{l: l, log: l.cfg.Logger}
	reqs := make([]*http.Request, len(ihs))
	for i, ih := range ihs {
		reqs[i] = httptest.NewRequest("GET", "/announce?"+AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 6881, Left: 1, NumWant: -1, Compact: true}.Query(), nil)
		reqs[i].RemoteAddr = "10.0.0.3:5555"
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkStoreMemory reports the live heap per peer of 100,000 torrents
// x 10 IPv4 peers, swarm overhead included.
func BenchmarkStoreMemory(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := newStore(0)
		var res announceResult
		for i := range 100_000 {
			var ih InfoHash
			binary.LittleEndian.PutUint64(ih[:], uint64(i)*0x9e3779b97f4a7c15)
			for j := range 10 {
				_ = st.announce(ih, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(j), 1}), uint16(6881+j)), j%2 == 0, EventStarted, 0, true, &res)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "B/peer")
		runtime.KeepAlive(st)
	}
}
