package tracker

import (
	"encoding/binary"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// TestHTTP_Peers6 checks BEP 7: IPv6 peers come back in peers6, IPv4 ones
// in peers, and an asker gets its own family first. The frontend is called
// directly, since tests may not rely on the machine having IPv6 loopback.
func TestHTTP_Peers6(t *testing.T) {
	cfg, _ := Config{NoRateLimit: true, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	l := newLogic(cfg, acc)
	h := &httpFrontend{l: l, log: cfg.Logger}
	ih := ihOf("v6")
	announce := func(remote string, port uint16) httpResponse {
		t.Helper()
		req := httptest.NewRequest("GET", "/announce?"+AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(int(port)), Port: port, Left: 1, NumWant: -1, Compact: true}.Query(), nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var r httpResponse
		if err := bencode.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatalf("decode %q: %v", w.Body.Bytes(), err)
		}
		return r
	}
	announce("10.0.0.1:1", 1001)
	announce("[fd00::1]:1", 1002)
	announce("[::ffff:10.0.0.2]:1", 1003) // a v4-mapped address is IPv4
	r := announce("[fd00::2]:1", 1004)
	if r.Peers6 == "" || len(r.Peers6) != 18 {
		t.Fatalf("peers6 = %x, want fd00::1", r.Peers6)
	}
	if got := netip.AddrPortFrom(netip.AddrFrom16([16]byte([]byte(r.Peers6[:16]))), binary.BigEndian.Uint16([]byte(r.Peers6[16:]))); got != netip.MustParseAddrPort("[fd00::1]:1002") {
		t.Errorf("peers6 holds %v", got)
	}
	if ports := compactPorts(t, r.Peers); len(ports) != 2 {
		t.Errorf("IPv4 peers for an IPv6 asker: %v, want both", ports)
	}
	if r.Complete != 0 || r.Incomplete != 4 {
		t.Errorf("counts %d/%d, want 0/4", r.Complete, r.Incomplete)
	}
}

// TestUDP_IPv6Answer checks BEP 15's rule that an IPv6 asker gets 18-byte
// peers, and only IPv6 ones.
func TestUDP_IPv6Answer(t *testing.T) {
	cfg, _ := Config{NoRateLimit: true, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	l := newLogic(cfg, acc)
	u := &udpFrontend{l: l, ids: newConnIDs([]byte("k")), log: cfg.Logger}
	ih := ihOf("udp6")
	send := func(from netip.AddrPort) []byte {
		id := u.ids.issue(from.Addr(), time.Now())
		pkt := AppendUDP(nil, UDPRequest{ConnID: id, Action: ActionAnnounce, TxID: 5, Announce: AnnounceRequest{InfoHash: ih, Port: from.Port(), Left: 1, NumWant: -1}})
		var res announceResult
		var sc []scrapeEntry
		return u.handle(pkt, from, nil, &res, &sc)
	}
	send(netip.MustParseAddrPort("10.0.0.1:1001"))
	send(netip.MustParseAddrPort("[fd00::1]:1002"))
	out := send(netip.MustParseAddrPort("[fd00::2]:1003"))
	if len(out) != 20+18 || binary.BigEndian.Uint16(out[20+16:]) != 1002 {
		t.Errorf("IPv6 answer %x, want one 18-byte peer (port 1002)", out)
	}
	out = send(netip.MustParseAddrPort("10.0.0.3:1004"))
	if len(out) != 20+6 || binary.BigEndian.Uint16(out[20+4:]) != 1001 {
		t.Errorf("IPv4 answer %x, want one 6-byte peer (port 1001)", out)
	}
}

// TestUDP_PortableReadLoop covers the one-packet-per-call loop that
// platforms without recvmmsg use.
func TestUDP_PortableReadLoop(t *testing.T) {
	cfg, _ := Config{NoRateLimit: true, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	acc, _ := newAccess(cfg)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	u := &udpFrontend{l: newLogic(cfg, acc), conn: c, ids: newConnIDs([]byte("k")), log: cfg.Logger}
	var wg sync.WaitGroup
	wg.Go(u.readLoop)
	defer func() { c.Close(); wg.Wait() }()
	cl := dialUDP(t, &Server{udp: u})
	id := cl.connect()
	resp := cl.roundTrip(AppendUDP(nil, UDPRequest{ConnID: id, Action: ActionAnnounce, TxID: 3,
		Announce: AnnounceRequest{InfoHash: ihOf("portable"), Port: 1, Left: 1, NumWant: -1}}), 5*time.Second)
	if len(resp) != 20 || binary.BigEndian.Uint32(resp) != uint32(ActionAnnounce) || binary.BigEndian.Uint32(resp[12:]) != 1 {
		t.Errorf("announce answer %x, want one leecher (us)", resp)
	}
}
