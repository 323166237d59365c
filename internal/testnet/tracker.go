package testnet

import (
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// Tracker is a minimal in-test HTTP tracker (BEP 3 with BEP 23 compact
// peer lists): it remembers who announced and lists the others.
type Tracker struct {
	URL string

	mu       sync.Mutex
	peers    map[string]map[netip.AddrPort]bool // infohash -> peers; true: a seed (left=0)
	events   []string
	interval int // seconds, told to peers
}

// SetInterval sets the announce interval the tracker tells peers (1 s by
// default).
func (tr *Tracker) SetInterval(d time.Duration) {
	tr.mu.Lock()
	tr.interval = int(d / time.Second)
	tr.mu.Unlock()
}

// StartTracker serves a Tracker on 127.0.0.1 until the test ends.
func StartTracker(t testing.TB) *Tracker {
	tr := &Tracker{peers: map[string]map[netip.AddrPort]bool{}, interval: 1}
	srv := httptest.NewServer(http.HandlerFunc(tr.announce))
	t.Cleanup(srv.Close)
	tr.URL = srv.URL + "/announce"
	return tr
}

// Events returns the event parameters received so far ("" for regular
// announces), in order.
func (tr *Tracker) Events() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.events...)
}

// Peers is how many peers are registered for infohash ih.
func (tr *Tracker) Peers(ih [20]byte) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.peers[string(ih[:])])
}

func (tr *Tracker) announce(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ih := q.Get("info_hash")
	port, err := strconv.Atoi(q.Get("port"))
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ip, err2 := netip.ParseAddr(host)
	if len(ih) != 20 || err != nil || err2 != nil {
		w.Write(bencode.MustMarshal(map[string]any{"failure reason": "bad announce"}))
		return
	}
	me := netip.AddrPortFrom(ip.Unmap(), uint16(port))
	tr.mu.Lock()
	tr.events = append(tr.events, q.Get("event"))
	set := tr.peers[ih]
	if set == nil {
		set = map[netip.AddrPort]bool{}
		tr.peers[ih] = set
	}
	var compact []byte
	for p := range set {
		if p != me && p.Addr().Is4() {
			compact = append(compact, p.Addr().AsSlice()...)
			compact = binary.BigEndian.AppendUint16(compact, p.Port())
		}
	}
	if q.Get("event") == "stopped" {
		delete(set, me)
	} else {
		set[me] = q.Get("left") == "0"
	}
	seeds, leechers := 0, 0
	for _, seed := range set {
		if seed {
			seeds++
		} else {
			leechers++
		}
	}
	interval := tr.interval
	tr.mu.Unlock()
	w.Write(bencode.MustMarshal(map[string]any{
		"interval": interval, "complete": seeds, "incomplete": leechers, "peers": string(compact),
	}))
}
