package swarm

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/tracker"
)

// FuzzTrackerReply sends hostile announce replies through the same client
// the announcer uses (anacrolix's tracker.NewClient), over real loopback
// HTTP and UDP, and converts the peers as the announcer does: nothing may
// panic or hang, and every peer that comes out is a usable address.
func FuzzTrackerReply(f *testing.F) {
	for _, s := range []string{
		"d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e",
		"d8:completei1e10:incompletei2e8:intervali60e5:peersld2:ip9:127.0.0.14:porti6881eed2:ip3:::14:porti1eeee",
		"d8:intervali60e6:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1e",
		"d14:failure reason4:nopee",
		"d8:intervali-1e5:peers5:\x01\x02\x03\x04\x05e",
		"d8:intervali99999999999999999999e5:peersi3ee",
		"\x00\x00\x07\x08\x00\x00\x00\x01\x00\x00\x00\x02\x7f\x00\x00\x01\x1a\xe1",
		"",
	} {
		f.Add([]byte(s))
	}
	var reply atomic.Pointer[[]byte]
	empty := []byte{}
	reply.Store(&empty)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(*reply.Load()) }))
	f.Cleanup(srv.Close)
	udpURL := startFuzzUDPTracker(f, &reply)
	urls := []string{srv.URL + "/announce", udpURL}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply.Store(&b)
		for _, u := range urls {
			cl, err := tracker.NewClient(u, tracker.NewClientOpts{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			start := time.Now()
			res, err := cl.Announce(ctx, tracker.AnnounceRequest{NumWant: 200, Port: 6881}, tracker.AnnounceOpt{})
			cancel()
			cl.Close()
			if err != nil {
				if time.Since(start) > 1900*time.Millisecond {
					t.Fatalf("%s: a reply of %q left the client waiting for its timeout", u, b)
				}
				continue
			}
			for _, p := range res.Peers {
				if ap, ok := p.ToNetipAddrPort(); ok && !ap.IsValid() {
					t.Fatalf("%s: peer %v converted to an invalid address", u, p)
				}
			}
		}
	})
}

// startFuzzUDPTracker answers BEP 15 connect requests properly and
// announces with an announce header followed by the current fuzz reply.
func startFuzzUDPTracker(f *testing.F, reply *atomic.Pointer[[]byte]) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 16 {
				continue
			}
			action, tid := binary.BigEndian.Uint32(buf[8:]), buf[12:16]
			var out []byte
			switch action {
			case 0: // connect
				out = binary.BigEndian.AppendUint32(out, 0)
				out = append(out, tid...)
				out = binary.BigEndian.AppendUint64(out, 0x1122334455667788)
			case 1: // announce
				out = binary.BigEndian.AppendUint32(out, 1)
				out = append(out, tid...)
				out = append(out, *reply.Load()...)
			default:
				continue
			}
			pc.WriteTo(out, from)
		}
	})
	f.Cleanup(func() { pc.Close(); wg.Wait() })
	return "udp://" + pc.LocalAddr().String() + "/announce"
}
