package tracker

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connGuard shares the HTTP frontend's connections fairly, so that one
// client cannot lock everyone else out by holding sockets open:
//
//   - one source address (one /64 for IPv6, as for the rate limit) holds at
//     most perIP connections; past that, its new ones are reset at once;
//   - the tracker holds at most max connections; past that, the longest-
//     waiting one that is not in a request is closed, whoever owns it, and
//     only when every connection is busy does Accept wait for one to end.
//
// "Waiting" covers keep-alive connections between requests and new ones that
// have not sent a request yet: neither costs its owner anything to hold, and
// net/http closes them itself after the idle and header timeouts.
//
// The guard is the listener that http.Server accepts from; its ConnState
// hook tells it which connections are in a request. One mutex guards it.
type connGuard struct {
	net.Listener
	max, perIP int

	mu     sync.Mutex
	conns  map[*guardedConn]struct{}
	perKey map[netip.Addr]int
	freed  *sync.Cond // signalled when a connection ends or the guard closes
	closed bool

	refusedPerIP, evictedFull atomic.Uint64
}

// guardedConn is one accepted connection. Its fields other than Conn are
// the guard's, under connGuard.mu.
type guardedConn struct {
	net.Conn
	g       *connGuard
	key     netip.Addr
	busy    bool      // in a request (http.StateActive)
	since   time.Time // when it last became idle or was accepted
	counted bool      // still counted in conns and perKey
}

func newConnGuard(ln net.Listener, max, perIP int) *connGuard {
	g := &connGuard{Listener: ln, max: max, perIP: perIP,
		conns: make(map[*guardedConn]struct{}), perKey: make(map[netip.Addr]int)}
	g.freed = sync.NewCond(&g.mu)
	return g
}

// Accept returns the next connection the guard has room for.
func (g *connGuard) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if gc := g.admit(c); gc != nil {
			return gc, nil
		}
	}
}

// admit makes room for c, or closes it and returns nil.
func (g *connGuard) admit(c net.Conn) *guardedConn {
	var key netip.Addr
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		key = limitKey(ta.AddrPort().Addr())
	}
	var victims []*guardedConn
	defer func() {
		for _, v := range victims {
			_ = v.Conn.Close() // outside the lock; net/http then calls v.Close
		}
	}()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.perKey[key] >= g.perIP {
		// Refused at once with a reset: no goroutine, no FIN handshake, and
		// the client learns immediately.
		g.refusedPerIP.Add(1)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		return nil
	}
	for len(g.conns) >= g.max {
		if g.closed {
			_ = c.Close()
			return nil
		}
		if v := g.oldestWaiting(); v != nil {
			g.evictedFull.Add(1)
			g.releaseLocked(v)
			victims = append(victims, v)
			continue
		}
		g.freed.Wait()
	}
	gc := &guardedConn{Conn: c, g: g, key: key, since: time.Now(), counted: true}
	g.conns[gc] = struct{}{}
	g.perKey[key]++
	return gc
}

// oldestWaiting is the connection not in a request that has waited
// longest. A linear scan: it runs only when every slot is taken, over at
// most max connections.
func (g *connGuard) oldestWaiting() *guardedConn {
	var best *guardedConn
	for c := range g.conns {
		if c.busy {
			continue
		}
		if best == nil || c.since.Before(best.since) {
			best = c
		}
	}
	return best
}

func (g *connGuard) releaseLocked(c *guardedConn) {
	if !c.counted {
		return
	}
	c.counted = false
	delete(g.conns, c)
	if g.perKey[c.key]--; g.perKey[c.key] <= 0 {
		delete(g.perKey, c.key)
	}
	g.freed.Signal()
}

// Close closes the listener and wakes an Accept waiting for room.
func (g *connGuard) Close() error {
	g.mu.Lock()
	g.closed = true
	g.freed.Broadcast()
	g.mu.Unlock()
	return g.Listener.Close()
}

// connState is the http.Server.ConnState hook.
func (g *connGuard) connState(c net.Conn, st http.ConnState) {
	gc, ok := c.(*guardedConn)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch st {
	case http.StateActive:
		gc.busy = true
	case http.StateIdle:
		gc.busy, gc.since = false, time.Now()
	}
}

// open counts the connections held now, and those from ip's address or /64.
func (g *connGuard) open(ip netip.Addr) (total, fromIP int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns), g.perKey[limitKey(ip)]
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.g.mu.Lock()
	c.g.releaseLocked(c)
	c.g.mu.Unlock()
	return err
}
