package tracker

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	anatracker "github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/types/infohash"

	"github.com/shoal-bt/shoal/pieces"
)

// TestServer_AnacrolixClients has an independent client announce over HTTP
// and UDP to one swarm: each must learn of the other, and scrapes agree.
func TestServer_AnacrolixClients(t *testing.T) {
	s := startServer(t, Config{})
	ih := ihOf("anacrolix")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	announce := func(url string, port uint16, left int64, ev anatracker.AnnounceEvent) anatracker.AnnounceResponse {
		t.Helper()
		cl, err := anatracker.NewClient(url, anatracker.NewClientOpts{})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		res, err := cl.Announce(ctx, anatracker.AnnounceRequest{
			InfoHash: infohash.T(ih), PeerId: peerIDOf(int(port)), Port: port, Left: left, Event: ev, NumWant: -1,
		}, anatracker.AnnounceOpt{})
		if err != nil {
			t.Fatalf("announce to %s: %v", url, err)
		}
		return res
	}
	httpAnn := httpURL(s, "/announce")
	udpAnn := "udp://" + s.UDPAddr().String() + "/announce"

	res := announce(httpAnn, 1001, 0, anatracker.Started)
	if len(res.Peers) != 0 || res.Seeders != 1 || res.Interval != 120 {
		t.Fatalf("first announce: %+v", res)
	}
	res = announce(udpAnn, 1002, 100, anatracker.Started)
	if res.Seeders != 1 || res.Leechers != 1 || len(res.Peers) != 1 || res.Peers[0].Port != 1001 || !res.Peers[0].IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("UDP leecher got %+v, want the HTTP seeder", res)
	}
	res = announce(httpAnn, 1001, 0, anatracker.None)
	if len(res.Peers) != 1 || res.Peers[0].Port != 1002 {
		t.Fatalf("seeder re-announce got %+v, want the UDP leecher", res)
	}
	res = announce(udpAnn, 1002, 0, anatracker.Completed)
	if res.Seeders != 2 || res.Leechers != 0 {
		t.Fatalf("after completed: %+v", res)
	}

	for _, url := range []string{httpAnn, udpAnn} {
		cl, err := anatracker.NewClient(url, anatracker.NewClientOpts{})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := cl.Scrape(ctx, []infohash.T{infohash.T(ih), infohash.T(ihOf("unknown"))})
		cl.Close()
		if err != nil {
			t.Fatalf("scrape %s: %v", url, err)
		}
		if len(sc) != 2 || sc[0].Seeders != 2 || sc[0].Leechers != 0 || sc[0].Completed != 1 || sc[1].Seeders != 0 {
			t.Errorf("scrape %s = %+v", url, sc)
		}
	}

	announce(udpAnn, 1002, 0, anatracker.Stopped)
	if tot := s.Totals(); tot.Seeders != 1 || tot.Leechers != 0 || tot.Swarms != 1 {
		t.Errorf("after stop: %+v", tot)
	}
}

func TestServer_HTTPFailures(t *testing.T) {
	s := startServer(t, Config{})
	for _, tt := range []struct{ query, want string }{
		{"", "missing info_hash"},
		{"info_hash=short&peer_id=-SH0001-000000000001&port=1&left=0", "info_hash must be 20 bytes"},
		{"info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0001-000000000001&left=0", "missing port"},
		{"info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0001-000000000001&port=0&left=0", "invalid port"},
		{"info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0001-000000000001&port=1", "missing left"},
		{"info_hash=%zz", "info_hash must be 20 bytes"},
	} {
		r := getBencode(t, httpURL(s, "/announce?"+tt.query))
		if r.FailureReason != tt.want {
			t.Errorf("announce?%s: failure reason %q, want %q", tt.query, r.FailureReason, tt.want)
		}
	}
	if r := getBencode(t, httpURL(s, "/scrape")); !strings.Contains(r.FailureReason, "full scrape") {
		t.Errorf("full scrape: %+v", r)
	}
	// Every malformed announce was counted, and refused; the full scrape
	// is a scrape but not a refusal (as in /metrics).
	if got, want := s.Requests(), (Requests{AnnouncesHTTP: 6, ScrapesHTTP: 1, Refused: 6}); got != want {
		t.Errorf("Requests() = %+v, want %+v", got, want)
	}
}

// TestServer_NegativeLeftRefused: a negative left is no amount of bytes, so
// neither frontend may count its sender as a leecher. Over UDP the sender is
// anacrolix's own client, which sends left=-1 for a magnet without metadata.
func TestServer_NegativeLeftRefused(t *testing.T) {
	s := startServer(t, Config{})
	ih := ihOf("negative-left")
	q := "info_hash=" + string(escape(nil, ih[:])) + "&peer_id=-SH0001-000000000001&port=8001&left=-1"
	if r := getBencode(t, httpURL(s, "/announce?"+q)); r.FailureReason != "negative left" {
		t.Errorf("HTTP left=-1: failure reason %q, want %q", r.FailureReason, "negative left")
	}
	cl, err := anatracker.NewClient("udp://"+s.UDPAddr().String()+"/announce", anatracker.NewClientOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = cl.Announce(ctx, anatracker.AnnounceRequest{
		InfoHash: infohash.T(ih), PeerId: peerIDOf(8002), Port: 8002, Left: -1, Event: anatracker.Started, NumWant: -1,
	}, anatracker.AnnounceOpt{})
	if err == nil || !strings.Contains(err.Error(), "negative left") {
		t.Errorf("UDP left=-1: err %v, want the tracker's \"negative left\"", err)
	}
	if tot := s.Totals(); tot.Leechers != 0 || tot.Seeders != 0 {
		t.Errorf("after two refused announces: %+v, want nobody counted", tot)
	}
}

// TestServer_NonCompact checks the BEP 3 list-of-dicts answer for peers
// that ask for compact=0.
func TestServer_NonCompact(t *testing.T) {
	s := startServer(t, Config{})
	ih := ihOf("noncompact")
	q := func(port uint16, compact bool) string {
		return AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(int(port)), Port: port, Left: 1, NumWant: -1, Compact: compact}.Query()
	}
	getBencode(t, httpURL(s, "/announce?"+q(2001, true)))
	r := getBencode(t, httpURL(s, "/announce?"+q(2002, false)))
	list, ok := r.Peers.([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("peers = %#v, want one dict", r.Peers)
	}
	d := list[0].(map[string]any)
	if d["ip"] != "127.0.0.1" || d["port"] != int64(2001) {
		t.Errorf("peer dict %v", d)
	}
}

func TestServer_UDPErrors(t *testing.T) {
	s := startServer(t, Config{})
	c := dialUDP(t, s)
	ann := UDPRequest{Action: ActionAnnounce, TxID: 99, Announce: AnnounceRequest{InfoHash: ihOf("udp"), Port: 5, NumWant: -1}}

	// A forged connection id gets an error, not an answer.
	ann.ConnID = 0x1234
	resp := c.roundTrip(AppendUDP(nil, ann), 5*time.Second)
	if binary.BigEndian.Uint32(resp) != uint32(ActionError) || binary.BigEndian.Uint32(resp[4:]) != 99 || string(resp[8:]) != "bad connection id" {
		t.Errorf("forged id: answer %q", resp)
	}
	// An id issued to another client (another IP) does not validate either.
	other := s.udp.ids.issue(netip.MustParseAddr("10.0.0.9"), time.Now())
	ann.ConnID = other
	if resp := c.roundTrip(AppendUDP(nil, ann), 5*time.Second); binary.BigEndian.Uint32(resp) != uint32(ActionError) {
		t.Errorf("other IP's id accepted: %x", resp)
	}
	// Nor does an expired one.
	ann.ConnID = s.udp.ids.issue(netip.MustParseAddr("127.0.0.1"), time.Now().Add(-connIDTTL-time.Minute))
	if resp := c.roundTrip(AppendUDP(nil, ann), 5*time.Second); binary.BigEndian.Uint32(resp) != uint32(ActionError) {
		t.Errorf("expired id accepted: %x", resp)
	}

	ann.ConnID = c.connect()
	resp = c.roundTrip(AppendUDP(nil, ann), 5*time.Second)
	if len(resp) != 20 || binary.BigEndian.Uint32(resp) != uint32(ActionAnnounce) || binary.BigEndian.Uint32(resp[16:]) != 1 {
		t.Errorf("announce answer %x, want one seeder (us)", resp)
	}
	// Truncated announce: an error naming the problem.
	resp = c.roundTrip(AppendUDP(nil, ann)[:60], 5*time.Second)
	if binary.BigEndian.Uint32(resp) != uint32(ActionError) || string(resp[8:]) != "announce too short" {
		t.Errorf("short announce: %q", resp)
	}
	// Too short to carry a transaction id: silence.
	if resp := c.roundTrip([]byte{1, 2, 3}, 200*time.Millisecond); resp != nil {
		t.Errorf("3-byte packet answered %x", resp)
	}
}

// TestServer_AllowListAndPasskeys covers the access modes, their failure
// reasons, and reloading when the files change.
func TestServer_AllowListAndPasskeys(t *testing.T) {
	dir := t.TempDir()
	allow := dir + "/allow.txt"
	keys := dir + "/keys.txt"
	listed, unlisted := ihOf("listed"), ihOf("unlisted")
	writeFile(t, allow, "# lab torrents\n"+listed.String()+" Lab image\n")
	writeFile(t, keys, "alice-key Alice\nbob_key\n")
	s := startServer(t, Config{AllowFile: allow, PasskeysFile: keys, ReloadEvery: 20 * time.Millisecond})

	q := func(ih InfoHash) string {
		return AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 3001, Left: 1, NumWant: -1, Compact: true}.Query()
	}
	for _, tt := range []struct{ path, want string }{
		{"/announce?" + q(listed), "passkey required: announce to /announce/<passkey>"},
		{"/announce/nobody?" + q(listed), "unknown passkey"},
		{"/announce/alice-key?" + q(unlisted), "unregistered torrent"},
		{"/announce/alice-key?" + q(listed), ""},
		{"/announce?passkey=bob_key&" + q(listed), ""},
	} {
		if r := getBencode(t, httpURL(s, tt.path)); r.FailureReason != tt.want {
			t.Errorf("GET %s: failure reason %q, want %q", tt.path, r.FailureReason, tt.want)
		}
	}
	// UDP carries the passkey in BEP 41 URL data.
	c := dialUDP(t, s)
	ann := UDPRequest{ConnID: c.connect(), Action: ActionAnnounce, TxID: 1, URLData: "/announce/alice-key",
		Announce: AnnounceRequest{InfoHash: listed, Port: 3002, NumWant: -1}}
	if resp := c.roundTrip(AppendUDP(nil, ann), 5*time.Second); binary.BigEndian.Uint32(resp) != uint32(ActionAnnounce) {
		t.Errorf("UDP with passkey: %q", resp)
	}
	ann.URLData = "/announce"
	if resp := c.roundTrip(AppendUDP(nil, ann), 5*time.Second); binary.BigEndian.Uint32(resp) != uint32(ActionError) || !strings.HasPrefix(string(resp[8:]), "passkey required") {
		t.Errorf("UDP without passkey: %q", resp)
	}

	// Edit both files: the unlisted torrent is allowed, alice is out.
	writeFile(t, allow, listed.String()+" Lab image\n"+unlisted.String()+"\n")
	writeFile(t, keys, "bob_key\n")
	waitFor(t, func() bool {
		return getBencode(t, httpURL(s, "/announce/bob_key?"+q(unlisted))).FailureReason == "" &&
			getBencode(t, httpURL(s, "/announce/alice-key?"+q(listed))).FailureReason == "unknown passkey"
	})
	// A broken file keeps the last good list rather than opening the tracker.
	writeFile(t, allow, "not a hash\n")
	time.Sleep(100 * time.Millisecond)
	if r := getBencode(t, httpURL(s, "/announce/bob_key?"+q(ihOf("third")))); r.FailureReason != "unregistered torrent" {
		t.Errorf("after a broken reload: %q", r.FailureReason)
	}
}

func TestServer_TorrentsDir(t *testing.T) {
	dir := t.TempDir()
	ih := writeTorrent(t, dir+"/lab.torrent", "lab-image.iso")
	s := startServer(t, Config{TorrentsDir: dir, ReloadEvery: 20 * time.Millisecond})
	q := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 4001, Left: 1, NumWant: -1, Compact: true}.Query()
	if r := getBencode(t, httpURL(s, "/announce?"+q)); r.FailureReason != "" {
		t.Fatalf("listed torrent refused: %q", r.FailureReason)
	}
	other := writeTorrent(t, t.TempDir()+"/other.torrent", "other.bin")
	q2 := AnnounceRequest{InfoHash: other, PeerID: peerIDOf(1), Port: 4001, Left: 1, NumWant: -1, Compact: true}.Query()
	if r := getBencode(t, httpURL(s, "/announce?"+q2)); r.FailureReason != "unregistered torrent" {
		t.Fatalf("unlisted torrent: %q", r.FailureReason)
	}
	writeTorrent(t, dir+"/sub/other.torrent", "other.bin")
	waitFor(t, func() bool { return getBencode(t, httpURL(s, "/announce?"+q2)).FailureReason == "" })
	if body := getBody(t, httpURL(s, "/")); !strings.Contains(body, "lab-image.iso") || !strings.Contains(body, "other.bin") {
		t.Errorf("status page lacks the torrents' names:\n%s", body)
	}
}

// TestServer_StateSurvivesRestart checks the completed counter is written on
// shutdown and read back.
func TestServer_StateSurvivesRestart(t *testing.T) {
	state := t.TempDir() + "/state"
	ih := ihOf("persist")
	q := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 5001, Event: EventCompleted, NumWant: -1, Compact: true}.Query()
	func() {
		ctx, cancel := context.WithCancel(t.Context())
		s, err := New(Config{HTTPAddr: "127.0.0.1:0", UDPAddr: Off, StateFile: state, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		getBencode(t, httpURL(s, "/announce?"+q))
		start := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("shutdown took %v", d)
		}
	}()
	s := startServer(t, Config{StateFile: state})
	r := getBencode(t, httpURL(s, "/scrape?info_hash="+string(escape(nil, ih[:]))))
	if f := r.Files[string(ih[:])]; f.Downloaded != 1 || f.Complete != 0 {
		t.Errorf("after restart: %+v", r.Files)
	}
}

func TestServer_RateLimit(t *testing.T) {
	s := startServer(t, Config{RatePerIP: 0.01, BurstPerIP: 5})
	q := AnnounceRequest{InfoHash: ihOf("flood"), PeerID: peerIDOf(1), Port: 6001, Left: 1, NumWant: -1, Compact: true}.Query()
	var limited int
	for range 10 {
		if getBencode(t, httpURL(s, "/announce?"+q)).FailureReason == "rate limited: slow down" {
			limited++
		}
	}
	if limited != 5 {
		t.Errorf("%d of 10 announces limited with burst 5", limited)
	}
	c := dialUDP(t, s)
	if resp := c.roundTrip(AppendUDP(nil, UDPRequest{ConnID: udpProtocolID, Action: ActionConnect}), 200*time.Millisecond); resp != nil {
		t.Errorf("UDP answered over budget: %x", resp)
	}
	// /metrics costs a token too: ask from another address.
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.RemoteAddr = "127.0.0.2:5555"
	rec := httptest.NewRecorder()
	s.http.Handler.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `shoal_tracker_refused_total{reason="rate_limited"}`) {
		t.Errorf("metrics lack the rate-limited counter:\n%s", rec.Body.String())
	}
}

func TestServer_NumWantAndMinInterval(t *testing.T) {
	s := startServer(t, Config{MaxNumWant: 5, NoRateLimit: true})
	ih := ihOf("numwant")
	for port := range uint16(20) {
		q := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(int(port)), Port: 7000 + port, Left: 1, NumWant: 0, Compact: true}.Query()
		getBencode(t, httpURL(s, "/announce?"+q))
	}
	ask := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(99), Port: 7999, Left: 1, NumWant: 1000, Compact: true}
	first := compactPorts(t, getBencode(t, httpURL(s, "/announce?"+ask.Query())).Peers)
	if len(first) != 5 || slices.Contains(first, 7999) {
		t.Fatalf("numwant 1000 capped at 5 got ports %v", first)
	}
	// Announcing again at once is within min interval: the same answer
	// comes back from the cache, not a new random pick.
	second := compactPorts(t, getBencode(t, httpURL(s, "/announce?"+ask.Query())).Peers)
	third := compactPorts(t, getBencode(t, httpURL(s, "/announce?"+ask.Query())).Peers)
	if !slices.Equal(second, third) {
		t.Errorf("early re-announces got %v then %v, want the cached answer twice", second, third)
	}
	if s.l.stats.cacheHits.Load() == 0 {
		t.Error("no cached answers counted")
	}
}

// TestServer_TorrentsDirSkipsWhatShoalRefuses: --torrents reads .torrent
// files with the engine's own parser, so a file `shoal get` would refuse
// (not a torrent, or a path that escapes the download folder) is skipped
// with a warning naming it, and the good ones are still tracked by name.
func TestServer_TorrentsDirSkipsWhatShoalRefuses(t *testing.T) {
	dir := t.TempDir()
	good := writeTorrent(t, dir+"/good.torrent", "good.iso")
	evil := writeTorrent(t, dir+"/evil.torrent", "..")
	writeFile(t, dir+"/junk.torrent", "not bencode")
	var logs syncBuffer
	s := startServer(t, Config{TorrentsDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	q := func(ih InfoHash) string {
		return AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 4002, Left: 1, NumWant: -1, Compact: true}.Query()
	}
	if r := getBencode(t, httpURL(s, "/announce?"+q(good))); r.FailureReason != "" {
		t.Errorf("good torrent refused: %q", r.FailureReason)
	}
	if r := getBencode(t, httpURL(s, "/announce?"+q(evil))); r.FailureReason != "unregistered torrent" {
		t.Errorf("torrent named \"..\": failure reason %q, want unregistered", r.FailureReason)
	}
	for _, name := range []string{"evil.torrent", "junk.torrent"} {
		if !strings.Contains(logs.String(), name) {
			t.Errorf("log does not name the skipped %s:\n%s", name, logs.String())
		}
	}
	if body := getBody(t, httpURL(s, "/")); !strings.Contains(body, "good.iso") {
		t.Errorf("status page lacks the torrent's name")
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServer_TorrentsDirV2: a hybrid torrent in --torrents registers both
// its v1 infohash and its truncated v2 one (BEP 52 peers announce that),
// and a v2-only torrent its truncated v2 one; an allow-list takes a v2
// infohash of 64 digits or a btmh magnet.
func TestServer_TorrentsDirV2(t *testing.T) {
	src := t.TempDir()
	writeFile(t, src+"/data.bin", strings.Repeat("shoal", 10_000))
	dir := t.TempDir()
	var hybrid, v2 *pieces.Torrent
	for _, f := range []struct {
		format pieces.Format
		into   **pieces.Torrent
	}{{pieces.FormatHybrid, &hybrid}, {pieces.FormatV2, &v2}} {
		tor, err := pieces.Create(t.Context(), src+"/data.bin", pieces.CreateOptions{Format: f.format})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir+"/"+f.format.String()+".torrent", string(tor.Bytes()))
		*f.into = tor
	}
	allow := t.TempDir() + "/allow"
	other := pieces.InfoHashV2([]byte("another torrent"))
	writeFile(t, allow, "magnet:?xt=urn:btmh:1220"+hex.EncodeToString(other[:])+"&dn=x other\n")
	s := startServer(t, Config{TorrentsDir: dir, AllowFile: allow})
	for _, tc := range []struct {
		name string
		ih   [20]byte
		want string
	}{
		{"hybrid v1", hybrid.InfoHash, ""},
		{"hybrid v2", pieces.Truncated(hybrid.InfoHashV2), ""},
		{"v2-only", pieces.Truncated(v2.InfoHashV2), ""},
		{"btmh in the allow-list", pieces.Truncated(other), ""},
		{"v2 infohash's other end", [20]byte(v2.InfoHashV2[12:]), "unregistered torrent"},
	} {
		q := AnnounceRequest{InfoHash: InfoHash(tc.ih), PeerID: peerIDOf(1), Port: 4003, Left: 1, NumWant: -1, Compact: true}.Query()
		if r := getBencode(t, httpURL(s, "/announce?"+q)); r.FailureReason != tc.want {
			t.Errorf("%s: failure reason %q, want %q", tc.name, r.FailureReason, tc.want)
		}
	}
}
