package tracker

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func TestParseUDP(t *testing.T) {
	ih := ihOf("udp")
	ann := AnnounceRequest{InfoHash: ih, PeerID: peerIDOf(1), Port: 6881, Left: 5, Uploaded: 1, Downloaded: 2,
		Event: EventStarted, NumWant: 30, Compact: true}
	withOpts := func(opts ...byte) []byte {
		return append(AppendUDP(nil, UDPRequest{ConnID: 9, Action: ActionAnnounce, TxID: 3, Announce: ann}), opts...)
	}
	for _, tt := range []struct {
		name string
		pkt  []byte
		want UDPRequest
		err  string
	}{
		{"connect", AppendUDP(nil, UDPRequest{ConnID: udpProtocolID, Action: ActionConnect, TxID: 1}),
			UDPRequest{ConnID: udpProtocolID, Action: ActionConnect, TxID: 1}, ""},
		{"connect with bad magic", AppendUDP(nil, UDPRequest{ConnID: 5, Action: ActionConnect, TxID: 1}),
			UDPRequest{ConnID: 5, TxID: 1}, "bad protocol id"},
		{"announce", withOpts(), UDPRequest{ConnID: 9, Action: ActionAnnounce, TxID: 3, Announce: ann}, ""},
		{"announce with BEP 41 url data in two parts, a NOP and an unknown option", withOpts(1, 2, 3, '/', 'a', 'n', 9, 1, 'x', 2, 2, 'n', 'o', 0, 2, 1, 'z'),
			UDPRequest{ConnID: 9, Action: ActionAnnounce, TxID: 3, Announce: ann, URLData: "/anno"}, ""},
		{"truncated option", withOpts(2, 5, 'a'), UDPRequest{}, "truncated option"},
		{"short announce", withOpts()[:97], UDPRequest{}, "announce too short"},
		{"negative left", func() []byte {
			b := withOpts()
			binary.BigEndian.PutUint64(b[64:], 1<<64-1) // -1
			return b
		}(), UDPRequest{}, "negative left"},
		{"scrape", AppendUDP(nil, UDPRequest{ConnID: 9, Action: ActionScrape, TxID: 4, InfoHashes: []InfoHash{ih, ihOf("b")}}),
			UDPRequest{ConnID: 9, Action: ActionScrape, TxID: 4, InfoHashes: []InfoHash{ih, ihOf("b")}}, ""},
		{"empty scrape", AppendUDP(nil, UDPRequest{ConnID: 9, Action: ActionScrape, TxID: 4}), UDPRequest{}, "scrape without info_hash"},
		{"unknown action", AppendUDP(nil, UDPRequest{ConnID: 9, Action: 7, TxID: 4}), UDPRequest{}, "unknown action"},
		{"too short", []byte{0, 1, 2}, UDPRequest{}, "packet too short"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUDP(tt.pkt)
			var re *RequestError
			switch {
			case tt.err != "":
				if !errors.As(err, &re) || re.Reason != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if len(tt.pkt) >= 16 && got.TxID != binary.BigEndian.Uint32(tt.pkt[12:]) {
					t.Errorf("TxID %d lost on error", got.TxID)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case !reflect.DeepEqual(got, tt.want):
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseUDP_Fields(t *testing.T) {
	pkt := AppendUDP(nil, UDPRequest{ConnID: 1, Action: ActionAnnounce, Announce: AnnounceRequest{Port: 1}})
	binary.BigEndian.PutUint64(pkt[64:], 1<<63-1)       // left unknown: as large as it gets
	binary.BigEndian.PutUint32(pkt[80:], 77)            // unknown event
	copy(pkt[84:], []byte{10, 0, 0, 1})                 // ip
	binary.BigEndian.PutUint32(pkt[92:], uint32(1<<31)) // numwant < 0
	got, err := ParseUDP(pkt)
	a := got.Announce
	if err != nil || a.Left != 1<<63-1 || a.Event != EventNone || a.IP != netip.MustParseAddr("10.0.0.1") || a.NumWant != -1 {
		t.Fatalf("got %+v, %v", a, err)
	}
}

func TestPasskeyFromURL(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "/announce": "", "/announce/k1": "k1", "/announce?passkey=k%32": "k2", "/x?a=b&passkey=k3": "k3",
	} {
		if got := passkeyFromURL(in); got != want {
			t.Errorf("passkeyFromURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseUDP(f *testing.F) {
	f.Add(AppendUDP(nil, UDPRequest{ConnID: udpProtocolID, Action: ActionConnect, TxID: 1}))
	f.Add(AppendUDP(nil, UDPRequest{ConnID: 9, Action: ActionAnnounce, TxID: 2, URLData: "/announce/key",
		Announce: AnnounceRequest{InfoHash: ihOf("f"), Port: 1, NumWant: -1, Event: EventCompleted}}))
	f.Add(AppendUDP(nil, UDPRequest{ConnID: 9, Action: ActionScrape, TxID: 3, InfoHashes: []InfoHash{ihOf("f")}}))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		req, err := ParseUDP(pkt)
		if err != nil {
			return
		}
		if len(req.InfoHashes) > maxUDPScrape || len(req.URLData) > maxURLDataLen {
			t.Fatalf("accepted oversized %+v", req)
		}
		again, err := ParseUDP(AppendUDP(nil, req))
		if err != nil || !reflect.DeepEqual(again, req) {
			t.Fatalf("roundtrip: got %+v, %v; want %+v", again, err, req)
		}
	})
}
