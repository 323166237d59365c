package swarm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	lsdAnnounceEvery = 5 * time.Minute
	lsdMinGap        = time.Minute // never announce one torrent more often, whatever happens
	lsdCheckEvery    = time.Second // how soon a newly added or resumed torrent is announced
	// Each source address may send lsdBurst messages at once, then one per
	// lsdRefill; more are dropped. lsdMaxSources bounds the table.
	lsdBurst      = 8
	lsdRefill     = 2 * time.Second
	lsdMaxSources = 1024
)

// lsd sends our announces and turns those we hear into peers. Its policy
// (what is due, who is over the limit) takes the time as an argument and
// sends through a func, so tests drive it with a fake clock and no socket.
type lsd struct {
	s      *Session
	log    *slog.Logger
	cookie string
	outs   []lsdOut

	mu      sync.Mutex
	last    map[InfoHash]time.Time // when each torrent was last announced
	sources map[netip.Addr]*rate.Limiter
}

// lsdOut sends to one multicast group.
type lsdOut struct {
	group string // lsdGroup4 or lsdGroup6, for the Host header
	send  func([]byte) error
}

func newLSD(s *Session, outs ...lsdOut) *lsd {
	var c [8]byte
	rand.Read(c[:])
	return &lsd{
		s:       s,
		log:     s.log.With("src", "lsd"),
		cookie:  hex.EncodeToString(c[:]),
		outs:    outs,
		last:    make(map[InfoHash]time.Time),
		sources: make(map[netip.Addr]*rate.Limiter),
	}
}

// lsdTargets lists, sorted, the names LSD may announce: those of torrents
// not private (BEP 27), not paused, not failed, and a hybrid's truncated v2
// infohash beside its v1 one, so that v2 peers on the link find it too. A
// magnet's privacy is unknown until its info arrives; like the DHT, LSD
// announces it meanwhile, since its infohash is all it can search by.
func (s *Session) lsdTargets() []InfoHash {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]InfoHash, 0, len(s.torrents)+len(s.aliases))
	for _, names := range []map[InfoHash]*torrent{s.torrents, s.aliases} {
		for ih, t := range names {
			if lsdAnnounces(t) {
				out = append(out, ih)
			}
		}
	}
	slices.SortFunc(out, compareIH)
	return out
}

// lsdAnnounces: t may be announced by LSD. Each torrent's goroutine owns
// its state: LSD reads the published snapshot, which shows privacy from
// Add or the metadata's arrival.
func lsdAnnounces(t *torrent) bool {
	ts := t.pub.snap.Load()
	return ts == nil || !(ts.Private || ts.State == StatePaused || ts.State == StateError)
}

func compareIH(a, b InfoHash) int { return bytes.Compare(a[:], b[:]) }

// lsdFound gives peer to each of our torrents that ihs names (by either
// of a hybrid's names, once however many it lists), except private ones,
// and returns how many took it.
func (s *Session) lsdFound(peer netip.AddrPort, ihs []InfoHash) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	given := make(map[*torrent]bool, len(ihs))
	for _, ih := range ihs {
		t := s.lookupLocked(ih)
		if t == nil || given[t] {
			continue
		}
		given[t] = true
		if ts := t.pub.snap.Load(); ts != nil && ts.Private {
			continue
		}
		select {
		case t.src.found <- foundPeers{addrs: []netip.AddrPort{peer}, source: SourceLSD}:
			n++
		default: // busy or stopped; the peer announces again in a few minutes
		}
	}
	return n
}

// announceDue announces every target not announced for lsdAnnounceEvery,
// packing up to lsdMaxInfoHashes infohashes into each message.
func (l *lsd) announceDue(now time.Time) error {
	targets := l.s.lsdTargets()
	l.mu.Lock()
	var due []InfoHash
	for _, ih := range targets {
		if last, ok := l.last[ih]; ok && now.Sub(last) < lsdAnnounceEvery {
			continue
		}
		due = append(due, ih)
		l.last[ih] = now
	}
	// Forget torrents that went away (removed, paused), but not so soon that
	// removing and re-adding one could beat lsdMinGap.
	for ih, last := range l.last {
		if _, present := slices.BinarySearchFunc(targets, ih, compareIH); !present && now.Sub(last) >= lsdMinGap {
			delete(l.last, ih)
		}
	}
	l.mu.Unlock()
	var errs []error
	for batch := range slices.Chunk(due, lsdMaxInfoHashes) {
		m := lsdMsg{Port: l.s.addr.Port(), InfoHashes: batch, Cookie: l.cookie}
		for _, o := range l.outs {
			if err := o.send(m.appendTo(nil, o.group)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.group, err))
			}
		}
	}
	return errors.Join(errs...)
}

// handle takes one datagram from src and returns how many torrents learned
// a peer from it.
func (l *lsd) handle(now time.Time, src netip.Addr, b []byte) int {
	m, err := parseLSD(b)
	if err != nil {
		l.log.Debug("Bad LSD message", "from", src, "err", err)
		return 0
	}
	if m.Cookie == l.cookie {
		return 0 // our own, looped back
	}
	src = src.Unmap()
	if !l.allow(now, src) {
		return 0
	}
	return l.s.lsdFound(netip.AddrPortFrom(src, m.Port), m.InfoHashes)
}

// allow rate-limits messages per source address.
func (l *lsd) allow(now time.Time, src netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.sources[src]
	if lim == nil {
		if len(l.sources) >= lsdMaxSources {
			for a, x := range l.sources {
				if x.TokensAt(now) >= lsdBurst {
					delete(l.sources, a) // idle long enough to be full again: nothing to remember
				}
			}
			if len(l.sources) >= lsdMaxSources {
				return false
			}
		}
		lim = rate.NewLimiter(rate.Every(lsdRefill), lsdBurst)
		l.sources[src] = lim
	}
	return lim.AllowN(now, 1)
}

// runLSD announces and listens until ctx is done, over IPv4 and IPv6
// where each works. When neither does (no multicast route, say) the
// session goes on without LSD.
func (s *Session) runLSD(ctx context.Context) {
	var conns []lsdConn
	for _, group := range []string{lsdGroup4, lsdGroup6} {
		c, err := openLSD(group, s.cfg.LSDInterface)
		if err != nil {
			s.log.Info("LSD unavailable", "group", group, "err", err)
			continue
		}
		conns = append(conns, c)
	}
	if len(conns) == 0 {
		s.log.Warn("LSD disabled: no multicast group could be joined", "iface", s.cfg.LSDInterface)
		return
	}
	var outs []lsdOut
	for _, c := range conns {
		dst := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(c.group))
		outs = append(outs, lsdOut{group: c.group, send: func(b []byte) error {
			_, err := c.send.WriteToUDP(b, dst)
			return err
		}})
	}
	l := newLSD(s, outs...)
	var wg sync.WaitGroup
	for _, c := range conns {
		l.log.Info("LSD started", "group", c.group, "iface", s.cfg.LSDInterface, "local", c.send.LocalAddr().String())
		wg.Go(func() { l.readLoop(ctx, c.recv) })
	}
	defer wg.Wait()
	defer func() {
		for _, c := range conns {
			c.close() // ends readLoop
		}
	}()
	tk := time.NewTicker(lsdCheckEvery)
	defer tk.Stop()
	for {
		if err := l.announceDue(time.Now()); err != nil {
			l.log.Debug("LSD announce failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

func (l *lsd) readLoop(ctx context.Context, c *net.UDPConn) {
	buf := make([]byte, lsdMaxPacket+1) // one more, so an oversized message is seen as such
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			l.log.Debug("LSD read failed", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		l.handle(time.Now(), from.Addr(), buf[:n])
	}
}

type lsdConn struct {
	group      string
	recv, send *net.UDPConn // may be the same socket
}

func (c lsdConn) close() {
	c.recv.Close()
	c.send.Close()
}

// openLSD joins group on ifname ("" lets the routing table pick).
//
// IPv4 sends from a socket of its own bound to the interface's address,
// which makes Linux send multicast out of that interface, and which keeps
// multicast loopback on, so two clients on one host hear each other. IPv6
// sends from the joined socket, on which Go set IPV6_MULTICAST_IF (binding
// an address does not pick the interface there).
func openLSD(group, ifname string) (lsdConn, error) {
	c := lsdConn{group: group}
	gaddr := netip.MustParseAddrPort(group)
	network := "udp4"
	if gaddr.Addr().Is6() {
		network = "udp6"
	}
	var ifi *net.Interface
	local := &net.UDPAddr{}
	if ifname != "" {
		var err error
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return c, fmt.Errorf("lsd interface %q: %w", ifname, err)
		}
		if network == "udp4" {
			if local.IP, err = ipv4Of(ifi); err != nil {
				return c, fmt.Errorf("lsd interface %q: %w", ifname, err)
			}
		}
	}
	recv, err := net.ListenMulticastUDP(network, ifi, net.UDPAddrFromAddrPort(gaddr))
	if err != nil {
		return c, fmt.Errorf("lsd join %s: %w", group, err)
	}
	c.recv, c.send = recv, recv
	if network == "udp4" {
		if c.send, err = net.ListenUDP(network, local); err != nil {
			recv.Close()
			return c, fmt.Errorf("lsd send socket: %w", err)
		}
	}
	return c, nil
}

func ipv4Of(ifi *net.Interface) (net.IP, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.To4(), nil
		}
	}
	return nil, errors.New("no IPv4 address")
}
