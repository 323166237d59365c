//go:build linux

package main

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
)

// tracker is a static HTTP tracker: it hands out the addresses of the
// peers' proxies, never the peers' own, so every connection of a scenario
// goes through Toxiproxy. Seeds are registered in advance and get an empty
// list, so they never dial out: all a seed uploads passes its proxy's meter.
// A leecher that announces gets a proxy of its own from expose (when that
// returns one), so leechers reach each other through proxies too.
type tracker struct {
	srv    *http.Server
	url    string
	expose func(port int) (*proxy, error) // nil: leechers are not reachable

	mu    sync.Mutex
	peers map[int]*trackedPeer // by the peer's own listen port
	order []int
}

type trackedPeer struct {
	seed  bool
	proxy *proxy
}

func newTracker() (*tracker, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &tracker{peers: make(map[int]*trackedPeer)}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.announce)}
	t.url = fmt.Sprintf("http://%s/announce", l.Addr())
	go t.srv.Serve(l)
	return t, nil
}

// reset forgets every peer, for the next scenario.
func (t *tracker) reset(expose func(int) (*proxy, error)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.peers = make(map[int]*trackedPeer)
	t.order = nil
	t.expose = expose
}

func (t *tracker) addSeed(port int, p *proxy) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.peers[port] = &trackedPeer{seed: true, proxy: p}
	t.order = append(t.order, port)
}

func (t *tracker) announce(w http.ResponseWriter, r *http.Request) {
	port, err := strconv.Atoi(r.URL.Query().Get("port"))
	if err != nil || port <= 0 || port > 65535 {
		http.Error(w, "bad port", http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	me := t.peers[port]
	if me == nil {
		me = &trackedPeer{}
		if t.expose != nil {
			p, err := t.expose(port)
			if err != nil {
				fmt.Fprintf(w, "d14:failure reason%d:%se", len(err.Error()), err)
				return
			}
			me.proxy = p
		}
		t.peers[port] = me
		t.order = append(t.order, port)
	}
	var compact []byte
	if !me.seed {
		for _, other := range t.order {
			p := t.peers[other]
			if other == port || p.proxy == nil {
				continue
			}
			ap := netip.MustParseAddrPort(p.proxy.Listen)
			a4 := ap.Addr().As4()
			compact = append(compact, a4[:]...)
			compact = append(compact, byte(ap.Port()>>8), byte(ap.Port()))
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "d8:intervali10e12:min intervali5e5:peers%d:%se", len(compact), compact)
}

func (t *tracker) Close() error { return t.srv.Close() }
