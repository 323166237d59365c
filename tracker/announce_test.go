package tracker

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseAnnounce(t *testing.T) {
	const base = "info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14&peer_id=-SH0100-abcdefghijkl&port=6881"
	ih := InfoHash{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	pid := [20]byte([]byte("-SH0100-abcdefghijkl"))
	want := func(f func(*AnnounceRequest)) AnnounceRequest {
		r := AnnounceRequest{InfoHash: ih, PeerID: pid, Port: 6881, NumWant: -1, Compact: true}
		if f != nil {
			f(&r)
		}
		return r
	}
	for _, tt := range []struct {
		name, query string
		want        AnnounceRequest
		err         string // failure reason; "" for success
	}{
		{"minimal", base + "&left=0", want(nil), ""},
		{"all fields", base + "&uploaded=10&downloaded=20&left=30&event=started&numwant=12&compact=1&no_peer_id=1&key=abc&ip=10.0.0.7&passkey=k1",
			want(func(r *AnnounceRequest) {
				r.Uploaded, r.Downloaded, r.Left, r.Event, r.NumWant, r.NoPeerID = 10, 20, 30, EventStarted, 12, true
				r.IP, r.Passkey = netip.MustParseAddr("10.0.0.7"), "k1"
			}), ""},
		{"stopped", base + "&left=1&event=stopped", want(func(r *AnnounceRequest) { r.Left, r.Event = 1, EventStopped }), ""},
		{"completed", base + "&left=0&event=completed", want(func(r *AnnounceRequest) { r.Event = EventCompleted }), ""},
		{"paused is a regular announce", base + "&left=0&event=paused", want(nil), ""},
		{"compact=0", base + "&left=0&compact=0", want(func(r *AnnounceRequest) { r.Compact = false }), ""},
		{"negative left refused", base + "&left=-1", AnnounceRequest{}, "negative left"},
		{"unknown size is a large left", base + "&left=9223372036854775807", want(func(r *AnnounceRequest) { r.Left = 1<<63 - 1 }), ""},
		{"negative counts read as zero", base + "&left=0&uploaded=-5&downloaded=x", want(nil), ""},
		{"numwant capped", base + "&left=0&numwant=99999999999", want(func(r *AnnounceRequest) { r.NumWant = maxNumWant }), ""},
		{"negative numwant is the default", base + "&left=0&numwant=-3", want(nil), ""},
		{"ipv6 ip", base + "&left=0&ip=%3A%3A1", want(func(r *AnnounceRequest) { r.IP = netip.IPv6Loopback() }), ""},
		{"mapped ip unmapped", base + "&left=0&ip=::ffff:10.1.2.3", want(func(r *AnnounceRequest) { r.IP = netip.MustParseAddr("10.1.2.3") }), ""},
		{"bad ip ignored", base + "&left=0&ip=example.com", want(nil), ""},
		{"literal plus in info_hash", "info_hash=+++++++++++++++++++%2B&peer_id=-SH0100-abcdefghijkl&port=1&left=0",
			want(func(r *AnnounceRequest) { r.InfoHash = InfoHash([]byte(strings.Repeat("+", 20))); r.Port = 1 }), ""},
		{"missing info_hash", "peer_id=-SH0100-abcdefghijkl&port=1&left=0", AnnounceRequest{}, "missing info_hash"},
		{"missing peer_id", "info_hash=aaaaaaaaaaaaaaaaaaaa&port=1&left=0", AnnounceRequest{}, "missing peer_id"},
		{"short info_hash", "info_hash=%01%02&peer_id=-SH0100-abcdefghijkl&port=1&left=0", AnnounceRequest{}, "info_hash must be 20 bytes"},
		{"long peer_id", "info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0100-abcdefghijklm&port=1&left=0", AnnounceRequest{}, "peer_id must be 20 bytes"},
		{"truncated escape", "info_hash=aaaaaaaaaaaaaaaaaaa%4", AnnounceRequest{}, "info_hash must be 20 bytes"},
		{"bad escape", "info_hash=aaaaaaaaaaaaaaaaaaa%G1", AnnounceRequest{}, "info_hash must be 20 bytes"},
		{"port too big", base + "0000&left=0", AnnounceRequest{}, "invalid port"},
		{"bad left", base + "&left=lots", AnnounceRequest{}, "invalid left"},
		{"long passkey", base + "&left=0&passkey=" + strings.Repeat("k", 65), AnnounceRequest{}, "invalid passkey"},
		{"too long", base + "&left=0&x=" + strings.Repeat("y", maxQueryLen), AnnounceRequest{}, "query too long"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnnounce(tt.query)
			var re *RequestError
			switch {
			case tt.err != "":
				if !errors.As(err, &re) || re.Reason != tt.err {
					t.Fatalf("err = %v, want reason %q", err, tt.err)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case got != tt.want:
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseScrape(t *testing.T) {
	a, b := ihOf("a"), ihOf("b")
	q := "info_hash=" + string(escape(nil, a[:])) + "&info_hash=" + string(escape(nil, b[:])) + "&passkey=k"
	got, err := ParseScrape(q)
	if err != nil || len(got.InfoHashes) != 2 || got.InfoHashes[0] != a || got.InfoHashes[1] != b || got.Passkey != "k" {
		t.Fatalf("ParseScrape = %+v, %v", got, err)
	}
	if _, err := ParseScrape("info_hash=short"); err == nil {
		t.Error("short info_hash accepted")
	}
	many := strings.Repeat("info_hash=aaaaaaaaaaaaaaaaaaaa&", maxScrapeHashes+1)
	if _, err := ParseScrape(many); err == nil {
		t.Error("more than maxScrapeHashes accepted")
	}
}

func TestParseAllowListAndPasskeys(t *testing.T) {
	ih := ihOf("x")
	m, err := ParseAllowList([]byte("# comment\n\n" + ih.String() + "  Some name  \n" +
		"magnet:?xt=urn:btih:" + ihOf("y").String() + "&dn=y\n"))
	if err != nil || m[ih] != "Some name" || len(m) != 2 {
		t.Errorf("ParseAllowList = %v, %v", m, err)
	}
	for _, bad := range []string{"abc\n", strings.Repeat("z", 40) + "\n"} {
		if _, err := ParseAllowList([]byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseAllowList(%q) err = %v", bad, err)
		}
	}
	k, err := ParsePasskeys([]byte("k1 Alice Smith\nk_2\n"))
	if err != nil || k["k1"] != "Alice Smith" || len(k) != 2 {
		t.Errorf("ParsePasskeys = %v, %v", k, err)
	}
	if _, err := ParsePasskeys([]byte("bad/key\n")); err == nil {
		t.Error("a passkey with '/' accepted")
	}
}

func TestParseState(t *testing.T) {
	counts := map[InfoHash]uint64{ihOf("a"): 3, ihOf("b"): 1 << 40}
	got, err := ParseState(encodeState(counts))
	if err != nil || len(got) != 2 || got[ihOf("a")] != 3 || got[ihOf("b")] != 1<<40 {
		t.Errorf("roundtrip = %v, %v", got, err)
	}
	if _, err := ParseState([]byte(ihOf("a").String() + " -1\n")); err == nil {
		t.Error("negative counter accepted")
	}
}

func FuzzParseAnnounce(f *testing.F) {
	f.Add("info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14&peer_id=-SH0100-abcdefghijkl&port=6881&left=0&compact=1")
	f.Add("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0100-abcdefghijkl&port=1&left=-1&event=stopped&numwant=5&ip=::1&passkey=a%20b")
	f.Fuzz(func(t *testing.T, query string) {
		req, err := ParseAnnounce(query)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Reason == "" {
				t.Fatalf("error %v is not a RequestError with a reason", err)
			}
			return // rejecting is fine; panicking, hanging or accepting garbage is not
		}
		if req.Port == 0 || req.NumWant < -1 || req.NumWant > maxNumWant || len(req.Passkey) > maxPasskeyLen {
			t.Fatalf("accepted out-of-range %+v", req)
		}
		if again, err := ParseAnnounce(req.Query()); err != nil || again != req {
			t.Fatalf("roundtrip %q via %q: got %+v, %v; want %+v", query, req.Query(), again, err, req)
		}
	})
}

func FuzzParseScrape(f *testing.F) {
	f.Add("info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14")
	f.Fuzz(func(t *testing.T, query string) {
		req, err := ParseScrape(query)
		if err == nil && len(req.InfoHashes) > maxScrapeHashes {
			t.Fatalf("%d info hashes accepted", len(req.InfoHashes))
		}
	})
}
