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
	// lsdRefill; more are dropped unread. lsdMaxSources bounds the table.
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
	send   func([]byte) error

	mu      sync.Mutex
	last    map[InfoHash]time.Time // when each torrent was last announced
	sources map[netip.Addr]*rate.Limiter
}

func newLSD(s *Session, send func([]byte) error) *lsd {
	var c [8]byte
	rand.Read(c[:])
	return &lsd{
		s:       s,
		log:     s.log.With("src", "lsd"),
		cookie:  hex.EncodeToString(c[:]),
		send:    send,
		last:    make(map[InfoHash]time.Time),
		sources: make(map[netip.Addr]*rate.Limiter),
	}
}

// lsdTargets lists, sorted, the torrents LSD may announce: not private
// (BEP 27), not paused, not failed. A magnet's privacy is unknown until its
// info arrives; like the DHT, LSD announces it meanwhile, since its
// infohash is all it can search by.
func (s *Session) lsdTargets() []InfoHash {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]InfoHash, 0, len(s.torrents))
	for ih, t := range s.torrents {
		if t.private.Load() {
			continue
		}
		if ts := t.snap.Load(); ts != nil && (ts.State == StatePaused || ts.State == StateError) {
			continue
		}
		out = append(out, ih)
	}
	slices.SortFunc(out, compareIH)
	return out
}

func compareIH(a, b InfoHash) int { return bytes.Compare(a[:], b[:]) }

// lsdFound gives peer to each of our torrents among ihs, except private
// ones, and returns how many took it.
func (s *Session) lsdFound(peer netip.AddrPort, ihs []InfoHash) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ih := range ihs {
		t := s.torrents[ih]
		if t == nil || t.private.Load() {
			continue
		}
		select {
		case t.found <- foundPeers{addrs: []netip.AddrPort{peer}, source: SourceLSD}:
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
		if err := l.send(m.appendTo(nil)); err != nil {
			errs = append(errs, err)
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

// runLSD announces and listens until ctx is done. When the sockets cannot
// be opened (no multicast route, say) the session goes on without LSD.
func (s *Session) runLSD(ctx context.Context) {
	recv, send, err := openLSD(s.cfg.LSDInterface)
	if err != nil {
		s.log.Warn("LSD disabled", "err", err)
		return
	}
	defer send.Close()
	group := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(lsdGroup4))
	l := newLSD(s, func(b []byte) error {
		_, err := send.WriteToUDP(b, group)
		return err
	})
	l.log.Info("LSD started", "group", lsdGroup4, "iface", s.cfg.LSDInterface, "local", send.LocalAddr().String())
	var wg sync.WaitGroup
	wg.Go(func() { l.readLoop(ctx, recv) })
	defer wg.Wait()
	defer recv.Close() // ends readLoop
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

// openLSD joins the IPv4 group on ifname ("" lets the routing table pick)
// and opens a socket to send from. Binding the sender to the interface's
// address makes Linux send multicast out of that interface.
func openLSD(ifname string) (recv, send *net.UDPConn, err error) {
	var ifi *net.Interface
	local := &net.UDPAddr{}
	if ifname != "" {
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return nil, nil, fmt.Errorf("lsd interface %q: %w", ifname, err)
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, nil, fmt.Errorf("lsd interface %q: %w", ifname, err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				local.IP = n.IP.To4()
				break
			}
		}
		if local.IP == nil {
			return nil, nil, fmt.Errorf("lsd interface %q: no IPv4 address", ifname)
		}
	}
	group := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(lsdGroup4))
	if recv, err = net.ListenMulticastUDP("udp4", ifi, group); err != nil {
		return nil, nil, fmt.Errorf("lsd join %s: %w", lsdGroup4, err)
	}
	if send, err = net.ListenUDP("udp4", local); err != nil {
		recv.Close()
		return nil, nil, fmt.Errorf("lsd send socket: %w", err)
	}
	return recv, send, nil
}
