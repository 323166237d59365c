package dht

import (
	"net"
	"net/netip"
	"sync"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
)

// BEP 42 binds a node id to the node's public IP. Behind NAT we don't know
// that IP when we pick an id, but every reply tells us how its sender saw
// us (the "ip" key). externalIP counts those reports; once enough agree on
// a public address our id doesn't match, the next saved state carries a
// fresh id that does, so the node is BEP 42 compliant from its next start.
// (The library can't change a running server's id.)
type externalIP struct {
	mu    sync.Mutex
	votes map[netip.Addr]int
	total int
}

const (
	minExternalIPVotes = 5
	maxExternalIPVotes = 200 // then start over, so a move to a new network is noticed
)

func (e *externalIP) vote(na krpc.NodeAddr) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok {
		return
	}
	ip = ip.Unmap()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.votes == nil || e.total >= maxExternalIPVotes {
		e.votes, e.total = make(map[netip.Addr]int), 0
	}
	e.votes[ip]++
	e.total++
}

// best is the address most senders reported, if it has enough votes and a
// clear majority.
func (e *externalIP) best() (netip.Addr, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var top netip.Addr
	n := 0
	for ip, c := range e.votes {
		if c > n {
			top, n = ip, c
		}
	}
	return top, n >= minExternalIPVotes && 2*n > e.total
}

// idToSave is the id the state file should carry: ours, unless the network
// agrees on a public IP our id is insecure for.
func (n *Node) idToSave() [20]byte {
	ip, ok := n.external.best()
	if !ok || !isPublic(ip) || adht.NodeIdSecure(n.id, net.IP(ip.AsSlice())) {
		return n.id
	}
	n.nextIDOnce.Do(func() {
		id := krpc.ID(randomID())
		adht.SecureNodeId(&id, net.IP(ip.AsSlice()))
		n.nextID = id
		n.log.Info("DHT node id will change at the next start to match the external IP (BEP 42)", "externalIP", ip)
	})
	return n.nextID
}
