package swarm

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/internal/osutil"
)

// Incoming connections that have not finished the handshake cost a
// descriptor and a goroutine and give nothing back, so they are bounded:
// a flood of silent connections (19,980 of them once took 19,993 of
// 20,000 descriptors) must not starve honest peers, the other torrents
// or the files.
//
//   - At most Config.MaxHandshakes wait at once (default: an eighth of the
//     descriptor limit, 64 to 1024). When full, the oldest is closed to
//     make room: an honest handshake takes milliseconds, so the oldest is
//     almost always one that stays silent.
//   - Once half of those are taken, one address (an IPv6 /64) may hold at
//     most Config.MaxHandshakesPerIP (default 16); more from it are closed
//     at once. Below half, a burst from one address (many peers behind one
//     NAT, or a test on loopback) is let in.
//   - Each has handshakeTimeout to finish.

// handshakeTimeout bounds an incoming handshake, MSE included. Real peers
// answer within a round trip or two.
var handshakeTimeout = 8 * time.Second

// pending is one incoming connection still handshaking.
type pending struct {
	c     net.Conn
	key   netip.Prefix
	since time.Time
}

// handshakeGate counts the pending connections; safe from any goroutine.
type handshakeGate struct {
	max, perIP int

	mu    sync.Mutex
	all   map[*pending]struct{}
	byKey map[netip.Prefix]int
}

func newHandshakeGate(max, perIP int) *handshakeGate {
	if max <= 0 {
		max = defaultMaxHandshakes()
	}
	if perIP <= 0 {
		perIP = 16
	}
	return &handshakeGate{max: max, perIP: perIP, all: map[*pending]struct{}{}, byKey: map[netip.Prefix]int{}}
}

func defaultMaxHandshakes() int {
	n := osutil.OpenFileLimit()
	if n == 0 {
		return 256
	}
	return int(min(max(n/8, 64), 1024))
}

// sourceKey is what the per-address cap counts: the address, or for IPv6
// its /64 (one host usually holds the whole /64).
func sourceKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// admit registers c, or refuses it (false) when its address holds too many
// while the gate is half full. A full gate closes its oldest entry.
func (g *handshakeGate) admit(c net.Conn, from netip.Addr) (*pending, bool) {
	p := &pending{c: c, key: sourceKey(from), since: time.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.all) >= g.max/2 && g.byKey[p.key] >= g.perIP {
		return nil, false
	}
	if len(g.all) >= g.max {
		var oldest *pending
		for q := range g.all {
			if oldest == nil || q.since.Before(oldest.since) {
				oldest = q
			}
		}
		g.removeLocked(oldest)
		oldest.c.Close() // its handshake fails; its goroutine calls done, which finds it gone
	}
	g.all[p] = struct{}{}
	g.byKey[p.key]++
	return p, true
}

// done unregisters p once its handshake ended, either way.
func (g *handshakeGate) done(p *pending) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.all[p]; ok {
		g.removeLocked(p)
	}
}

func (g *handshakeGate) removeLocked(p *pending) {
	delete(g.all, p)
	if g.byKey[p.key]--; g.byKey[p.key] <= 0 {
		delete(g.byKey, p.key)
	}
}

// count is how many connections are handshaking, for tests.
func (g *handshakeGate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.all)
}
