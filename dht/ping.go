package dht

import (
	"net"
	"net/netip"
	"time"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
)

// The library adds a node that queries us to the routing table, but hands
// it out to others only once it has answered one of our queries (BEP 5
// "good"), and otherwise pings it only from the once-a-minute maintainer.
// A fresh bootstrap node would then return no nodes to the first minute of
// newcomers, so we ping each new querier once, as libtorrent does, while
// our table is small. Past that the maintainer's pings suffice, and pinging
// every querier back would double the traffic of a busy node.
const (
	pingWhileGoodBelow = 32
	repingAfter        = 15 * time.Minute // BEP 5: good for 15 minutes
	maxPingedMemory    = 4096
	maxPingsInFlight   = 32
)

// onQuery runs under the library's server lock: it must not block or call
// back into the server.
func (n *Node) onQuery(m *krpc.Msg, source net.Addr) bool {
	// Every query carries an arguments dict (at least our id). The library
	// dereferences it unchecked for announce_peer, put and get, so one
	// datagram without it would crash the process: drop those here.
	if m.A == nil {
		return false
	}
	// The library answers find_node with the nodes closest to the query's
	// info_hash, which find_node does not carry, so every answer was for
	// target zero and joining nodes learned almost nobody. Give it the
	// target where it looks.
	if m.Q == "find_node" && m.A != nil {
		m.A.InfoHash = m.A.Target
	}
	ua, ok := source.(*net.UDPAddr)
	// BEP 43: read-only queriers ask not to be added, and a read-only node
	// keeps no table worth filling.
	if !ok || m.ReadOnly || n.cfg.ReadOnly || n.goodNodes.Load() >= pingWhileGoodBelow {
		return true
	}
	ap := ua.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	now := time.Now()
	n.pingMu.Lock()
	defer n.pingMu.Unlock()
	srv := n.srv.Load()
	if n.closing || srv == nil {
		return true
	}
	if at, ok := n.pinged[ap]; ok && now.Sub(at) < repingAfter {
		return true
	}
	if len(n.pinged) >= maxPingedMemory {
		for k, at := range n.pinged {
			if now.Sub(at) >= repingAfter {
				delete(n.pinged, k)
			}
		}
		if len(n.pinged) >= maxPingedMemory {
			return true
		}
	}
	select {
	case n.pingSlots <- struct{}{}:
	default:
		return true // busy: the maintainer will get to it
	}
	n.pinged[ap] = now
	n.pings.Go(func() {
		defer func() { <-n.pingSlots }()
		// Our context, not the library's Ping and its context.TODO, so
		// Close need not wait out the query timeout.
		srv.Query(n.pingCtx, adht.NewAddr(ua), "ping", adht.QueryInput{})
	})
	return true
}
