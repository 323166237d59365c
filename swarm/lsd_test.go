package swarm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testrun"
	"github.com/shoal-bt/shoal/pieces"
)

// These tests never open a multicast socket: the lsd policy sends through
// a func, and two sessions are linked by handing one's packets to the
// other's handle. lsd_netns_test.go covers the sockets inside network
// namespaces of its own.

var (
	ihA = InfoHash(bytes.Repeat([]byte{0xab}, 20))
	ihB = InfoHash(bytes.Repeat([]byte{0x01}, 20))
)

func TestParseLSD(t *testing.T) {
	hexA, hexB := hex.EncodeToString(ihA[:]), strings.ToUpper(hex.EncodeToString(ihB[:]))
	for _, tt := range []struct {
		name string
		in   string
		want lsdMsg
		err  bool
	}{
		{name: "BEP 14", in: "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: " + hexA + "\r\ncookie: xyz\r\n\r\n\r\n",
			want: lsdMsg{Port: 6881, InfoHashes: []InfoHash{ihA}, Cookie: "xyz"}},
		{name: "two infohashes, upper-case hex, odd header case, bare LF, no cookie",
			in:   "BT-SEARCH * HTTP/1.1\nPORT:1\ninfoHASH:  " + hexA + " \nInfohash: " + hexB + "\n\n",
			want: lsdMsg{Port: 1, InfoHashes: []InfoHash{ihA, ihB}}},
		{name: "duplicates and non-v1 infohash lines skipped, unknown headers and body ignored",
			in: "BT-SEARCH * HTTP/1.1\r\nPort: 65535\r\nInfohash: " + hexA + "\r\nInfohash: " + hexA + "\r\nInfohash: " + strings.Repeat("0", 64) +
				"\r\nInfohash: zz" + hexA[2:] + "\r\nX-Other: 1\r\nno colon\r\n\r\nInfohash: " + hexB + "\r\n",
			want: lsdMsg{Port: 65535, InfoHashes: []InfoHash{ihA}}},
		{name: "last port wins", in: "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nPort: 2\r\nInfohash: " + hexA + "\r\n\r\n",
			want: lsdMsg{Port: 2, InfoHashes: []InfoHash{ihA}}},
		{name: "not BT-SEARCH", in: "M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + hexA + "\r\n\r\n", err: true},
		{name: "no port", in: "BT-SEARCH * HTTP/1.1\r\nInfohash: " + hexA + "\r\n\r\n", err: true},
		{name: "port 0", in: "BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: " + hexA + "\r\n\r\n", err: true},
		{name: "port too big", in: "BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\nInfohash: " + hexA + "\r\n\r\n", err: true},
		{name: "signed port", in: "BT-SEARCH * HTTP/1.1\r\nPort: +80\r\nInfohash: " + hexA + "\r\n\r\n", err: true},
		{name: "no infohash", in: "BT-SEARCH * HTTP/1.1\r\nPort: 80\r\n\r\n", err: true},
		{name: "long cookie", in: "BT-SEARCH * HTTP/1.1\r\nPort: 80\r\nInfohash: " + hexA + "\r\ncookie: " + strings.Repeat("c", 33) + "\r\n\r\n", err: true},
		{name: "too many infohashes", in: "BT-SEARCH * HTTP/1.1\r\nPort: 80\r\n" + manyIH(lsdMaxInfoHashes+1), err: true},
		{name: "oversized", in: "BT-SEARCH * HTTP/1.1\r\nPort: 80\r\nInfohash: " + hexA + "\r\n" + strings.Repeat("X: y\r\n", 300), err: true},
	} {
		got, err := parseLSD([]byte(tt.in))
		if tt.err {
			if !errors.Is(err, errBadLSD) {
				t.Errorf("%s: got %+v, %v; want errBadLSD", tt.name, got, err)
			}
			continue
		}
		if err != nil || got.Port != tt.want.Port || got.Cookie != tt.want.Cookie || !slices.Equal(got.InfoHashes, tt.want.InfoHashes) {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func manyIH(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Infohash: %040x\r\n", i+1)
	}
	return b.String()
}

func TestLSDMsg_Encode(t *testing.T) {
	m := lsdMsg{Port: 6881, InfoHashes: []InfoHash{ihA, ihB}, Cookie: "c00k1e"}
	want := "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
		"Infohash: " + strings.Repeat("ab", 20) + "\r\nInfohash: " + strings.Repeat("01", 20) + "\r\ncookie: c00k1e\r\n\r\n\r\n"
	if got := string(m.appendTo(nil, lsdGroup4)); got != want {
		t.Fatalf("encoded\n%q\nwant\n%q", got, want)
	}
	// The largest message we accept still fits one packet when re-encoded.
	var big lsdMsg
	big.Port, big.Cookie = 65535, strings.Repeat("c", lsdMaxCookie)
	for i := range lsdMaxInfoHashes {
		big.InfoHashes = append(big.InfoHashes, InfoHash{byte(i)})
	}
	if n := len(big.appendTo(nil, lsdGroup6)); n > lsdMaxPacket {
		t.Fatalf("largest message is %d bytes, over %d", n, lsdMaxPacket)
	}
}

func FuzzParseLSD(f *testing.F) {
	f.Add([]byte(lsdMsg{Port: 6881, InfoHashes: []InfoHash{ihA}, Cookie: "abc"}.appendTo(nil, lsdGroup6)))
	f.Add([]byte("BT-SEARCH * HTTP/1.1\nport: 1\ninfohash: " + strings.Repeat("F", 40) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseLSD(b)
		if err != nil {
			return // rejecting is fine; panicking or accepting garbage is not
		}
		if m.Port == 0 || len(m.InfoHashes) == 0 || len(m.InfoHashes) > lsdMaxInfoHashes || len(m.Cookie) > lsdMaxCookie {
			t.Fatalf("accepted out of bounds: %+v", m)
		}
		enc := m.appendTo(nil, lsdGroup4)
		again, err := parseLSD(enc)
		if err != nil || again.Port != m.Port || again.Cookie != m.Cookie || !slices.Equal(again.InfoHashes, m.InfoHashes) {
			t.Fatalf("roundtrip %q: got %+v, %v; want %+v", enc, again, err, m)
		}
	})
}

// startTestSession runs a Session on loopback, LSD off, until the test ends.
func startTestSession(t *testing.T) *Session {
	t.Helper()
	s, err := New(Config{ListenAddr: "127.0.0.1:0", SampleEvery: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	testrun.Go(t, "session", s.Run)
	return s
}

// seedPayload writes size random bytes to dir/name, makes a torrent of it
// and seeds it in s.
func seedPayload(t *testing.T, s *Session, dir, name string, size int, private bool) *pieces.Torrent {
	t.Helper()
	return seedPayloadAs(t, s, dir, name, size, pieces.CreateOptions{PieceLength: 16 << 10, Private: private})
}

// seedPayloadAs is seedPayload with the torrent made by opts.
func seedPayloadAs(t *testing.T, s *Session, dir, name string, size int, opts pieces.CreateOptions) *pieces.Torrent {
	t.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	made, err := pieces.Create(t.Context(), filepath.Join(dir, name), opts)
	if err != nil {
		t.Fatal(err)
	}
	tor, err := pieces.Parse(made.Bytes()) // as a user's .torrent: with its v2 infohash, if any
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(t.Context(), AddOptions{Torrent: tor, Dir: dir, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	return tor
}

func addMagnet(t *testing.T, s *Session, ih InfoHash) {
	t.Helper()
	if _, err := s.Add(t.Context(), AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
}

// wire records what an lsd sends to one group.
type wire struct {
	group string
	mu    sync.Mutex
	msgs  []lsdMsg
}

func (w *wire) out() lsdOut { return lsdOut{group: w.group, send: w.send} }

func (w *wire) send(b []byte) error {
	m, err := parseLSD(b)
	if err != nil {
		return fmt.Errorf("sent an unparsable message %q: %w", b, err)
	}
	if !bytes.Contains(b, []byte("\r\nHost: "+w.group+"\r\n")) {
		return fmt.Errorf("message to %s has the wrong Host: %q", w.group, b)
	}
	w.mu.Lock()
	w.msgs = append(w.msgs, m)
	w.mu.Unlock()
	return nil
}

// take returns and forgets the infohashes sent so far, sorted.
func (w *wire) take() []InfoHash {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []InfoHash
	for _, m := range w.msgs {
		out = append(out, m.InfoHashes...)
	}
	w.msgs = nil
	slices.SortFunc(out, compareIH)
	return out
}

func waitState(t *testing.T, s *Session, ih InfoHash, timeout time.Duration, cond func(TorrentSnapshot) bool) TorrentSnapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, ts := range s.Snapshot().Torrents {
			if ts.InfoHash == ih && cond(ts) {
				return ts
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out; last snapshot %+v", s.Snapshot().Torrents)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two sessions whose lsd instances hear each other find each other and
// move a torrent known to the leecher by infohash only.
func TestLSD_FindsPeerAndDownloads(t *testing.T) {
	seeder, leecher := startTestSession(t), startTestSession(t)
	src := t.TempDir()
	tor := seedPayload(t, seeder, src, "lsd.bin", 300_000, false)
	ih := InfoHash(tor.InfoHash)
	dst := t.TempDir()
	if _, err := leecher.Add(t.Context(), AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	var ls, ll *lsd
	ls = newLSD(seeder, lsdOut{lsdGroup4, func(b []byte) error { ll.handle(time.Now(), lo, b); return nil }})
	ll = newLSD(leecher, lsdOut{lsdGroup4, func(b []byte) error { ls.handle(time.Now(), lo, b); return nil }})
	if err := ls.announceDue(time.Now()); err != nil {
		t.Fatal(err)
	}
	ts := waitState(t, leecher, ih, 20*time.Second, func(ts TorrentSnapshot) bool { return ts.State == StateSeeding })
	if ts.Sources.LSD != 1 {
		t.Errorf("sources = %+v, want one LSD peer", ts.Sources)
	}
	want, _ := os.ReadFile(filepath.Join(src, "lsd.bin"))
	got, err := os.ReadFile(filepath.Join(dst, "lsd.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("downloaded %d bytes (err %v), want the %d seeded", len(got), err, len(want))
	}
}

func TestLSD_NeverPrivate(t *testing.T) {
	s := startTestSession(t)
	dir := t.TempDir()
	pub := InfoHash(seedPayload(t, s, dir, "public.bin", 40_000, false).InfoHash)
	priv := InfoHash(seedPayload(t, s, dir, "private.bin", 40_000, true).InfoHash)
	w4, w6 := &wire{group: lsdGroup4}, &wire{group: lsdGroup6}
	l := newLSD(s, w4.out(), w6.out())
	if err := l.announceDue(time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*wire{w4, w6} {
		if got := w.take(); !slices.Equal(got, []InfoHash{pub}) {
			t.Errorf("announced %x to %s, want only the public %x", got, w.group, pub)
		}
	}
	// A peer announcing both is given to the public torrent only.
	m := lsdMsg{Port: 9, InfoHashes: []InfoHash{priv, pub}, Cookie: "someone else"}
	if n := l.handle(time.Now(), netip.MustParseAddr("127.0.0.2"), m.appendTo(nil, lsdGroup4)); n != 1 {
		t.Errorf("peer given to %d torrents, want 1", n)
	}
	waitState(t, s, pub, 5*time.Second, func(ts TorrentSnapshot) bool { return ts.Sources.LSD == 1 })
	for _, ts := range s.Snapshot().Torrents {
		if ts.InfoHash == priv && ts.Sources.LSD != 0 {
			t.Errorf("private torrent has LSD peers: %+v", ts.Sources)
		}
	}
}

// TestLSD_V2Names: a hybrid is announced under both its names, each on
// its own Infohash line, and a v2-only torrent under its truncated v2
// infohash; an announce naming a hybrid by its v2 name alone finds it,
// and one naming it twice gives the peer once.
func TestLSD_V2Names(t *testing.T) {
	s := startTestSession(t)
	dir := t.TempDir()
	hybrid := seedPayloadAs(t, s, dir, "hybrid.bin", 100_000, pieces.CreateOptions{PieceLength: 16 << 10, Format: pieces.FormatHybrid})
	v2only := seedPayloadAs(t, s, dir, "v2.bin", 50_000, pieces.CreateOptions{PieceLength: 16 << 10, Format: pieces.FormatV2})
	ih, ihV2 := InfoHash(hybrid.InfoHash), InfoHash(pieces.Truncated(hybrid.InfoHashV2))
	w := &wire{group: lsdGroup4}
	l := newLSD(s, w.out())
	var raw []byte
	l.outs = append(l.outs, lsdOut{group: lsdGroup6, send: func(b []byte) error { raw = append(raw, b...); return nil }})
	announce(t, l, time.Now())
	want := []InfoHash{ih, ihV2, InfoHash(pieces.Truncated(v2only.InfoHashV2))}
	slices.SortFunc(want, compareIH)
	if got := w.take(); !slices.Equal(got, want) {
		t.Errorf("announced %x, want the hybrid's two names and the v2-only torrent's %x", got, want)
	}
	for _, name := range []InfoHash{ih, ihV2} {
		if line := "\r\nInfohash: " + hex.EncodeToString(name[:]) + "\r\n"; !bytes.Contains(raw, []byte(line)) {
			t.Errorf("no line %q in %q", line, raw)
		}
	}

	byV2 := lsdMsg{Port: 9, InfoHashes: []InfoHash{ihV2}, Cookie: "a v2 peer"}
	if n := l.handle(time.Now(), netip.MustParseAddr("127.0.0.2"), byV2.appendTo(nil, lsdGroup4)); n != 1 {
		t.Errorf("an announce of the hybrid's v2 name gave the peer to %d torrents, want 1", n)
	}
	waitState(t, s, ih, 5*time.Second, func(ts TorrentSnapshot) bool { return ts.Sources.LSD == 1 })
	both := lsdMsg{Port: 10, InfoHashes: []InfoHash{ih, ihV2}, Cookie: "a hybrid peer"}
	if n := l.handle(time.Now(), netip.MustParseAddr("127.0.0.3"), both.appendTo(nil, lsdGroup4)); n != 1 {
		t.Errorf("an announce of both names gave the peer %d times, want once", n)
	}
}

func announce(t *testing.T, l *lsd, now time.Time) {
	t.Helper()
	if err := l.announceDue(now); err != nil {
		t.Fatal(err)
	}
}

func TestLSD_AnnounceSchedule(t *testing.T) {
	s := startTestSession(t)
	w := &wire{group: lsdGroup4}
	l := newLSD(s, w.out())
	t0 := time.Now()
	addMagnet(t, s, ihA)
	if err := l.announceDue(t0); err != nil {
		t.Fatal(err)
	}
	if got := w.take(); !slices.Equal(got, []InfoHash{ihA}) {
		t.Fatalf("at start announced %x, want A", got)
	}
	// B added later is announced on the next check; A is not repeated.
	addMagnet(t, s, ihB)
	announce(t, l, t0.Add(time.Second))
	if got := w.take(); !slices.Equal(got, []InfoHash{ihB}) {
		t.Fatalf("after adding B announced %x, want B", got)
	}
	// Removed and re-added within a minute: still not announced again early.
	if err := s.Remove(ihA, false); err != nil {
		t.Fatal(err)
	}
	announce(t, l, t0.Add(20*time.Second))
	addMagnet(t, s, ihA)
	for _, at := range []time.Duration{30 * time.Second, 59 * time.Second, 4 * time.Minute} {
		announce(t, l, t0.Add(at))
		if got := w.take(); len(got) != 0 {
			t.Fatalf("at +%v announced %x, want nothing", at, got)
		}
	}
	announce(t, l, t0.Add(5*time.Minute))
	if got := w.take(); !slices.Equal(got, []InfoHash{ihA}) {
		t.Fatalf("at +5m announced %x, want A", got)
	}
	// Paused torrents are not announced.
	if err := s.Pause(ihB); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, ihB, 5*time.Second, func(ts TorrentSnapshot) bool { return ts.State == StatePaused })
	announce(t, l, t0.Add(time.Hour))
	if got := w.take(); !slices.Equal(got, []InfoHash{ihA}) {
		t.Fatalf("with B paused announced %x, want A", got)
	}
}

func TestLSD_AnnouncePacksInfoHashes(t *testing.T) {
	s := startTestSession(t)
	var want []InfoHash
	for i := range lsdMaxInfoHashes + 6 {
		ih := InfoHash{0xee, byte(i)}
		addMagnet(t, s, ih)
		want = append(want, ih)
	}
	w := &wire{group: lsdGroup4}
	l := newLSD(s, w.out())
	announce(t, l, time.Now())
	w.mu.Lock()
	sizes := []int{}
	for _, m := range w.msgs {
		sizes = append(sizes, len(m.InfoHashes))
		if m.Port != s.Addr().Port() || m.Cookie != l.cookie {
			t.Errorf("message %+v: want port %d, cookie %q", m, s.Addr().Port(), l.cookie)
		}
	}
	w.mu.Unlock()
	if !slices.Equal(sizes, []int{lsdMaxInfoHashes, 6}) {
		t.Errorf("messages of %v infohashes, want [%d 6]", sizes, lsdMaxInfoHashes)
	}
	if got := w.take(); !slices.Equal(got, want) {
		t.Errorf("announced %d infohashes, want %d", len(got), len(want))
	}
}

func TestLSD_IncomingLimits(t *testing.T) {
	s := startTestSession(t)
	addMagnet(t, s, ihA)
	l := newLSD(s, lsdOut{lsdGroup4, func([]byte) error { return nil }})
	now := time.Now()
	// Loopback sources: the torrent dials what it learns.
	a, b := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")
	msg := func(port uint16, cookie string) []byte {
		return lsdMsg{Port: port, InfoHashes: []InfoHash{ihA}, Cookie: cookie}.appendTo(nil, lsdGroup4)
	}
	if n := l.handle(now, a, msg(1, l.cookie)); n != 0 {
		t.Errorf("own message gave %d peers", n)
	}
	if n := l.handle(now, a, []byte("BT-SEARCH * HTTP/1.1\r\n\r\n")); n != 0 {
		t.Errorf("bad message gave %d peers", n)
	}
	accepted := 0
	for i := range 3 * lsdBurst {
		accepted += l.handle(now, a, msg(uint16(100+i), "other"))
	}
	if accepted != lsdBurst {
		t.Errorf("a burst from one source: %d accepted, want %d", accepted, lsdBurst)
	}
	if n := l.handle(now, b, msg(1, "other")); n != 1 {
		t.Errorf("another source was limited too")
	}
	if n := l.handle(now.Add(lsdRefill), a, msg(1000, "other")); n != 1 {
		t.Errorf("source still limited after %v", lsdRefill)
	}
	// The table of sources stays bounded, forgetting only idle ones.
	for i := range lsdMaxSources {
		l.allow(now, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
	}
	if l.allow(now, netip.MustParseAddr("10.2.0.1")) || len(l.sources) > lsdMaxSources {
		t.Errorf("a new source was let in over a full table of %d", len(l.sources))
	}
	if !l.allow(now.Add(lsdBurst*lsdRefill), netip.MustParseAddr("10.2.0.1")) {
		t.Errorf("idle sources were not forgotten")
	}
}
