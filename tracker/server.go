package tracker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Server is a running tracker: its listeners are bound by New, so their
// addresses are known before Run.
type Server struct {
	cfg  Config
	log  *slog.Logger
	l    *logic
	acc  *access
	http *http.Server
	hln  net.Listener
	// guard shares HTTP connections between clients (see connGuard).
	guard *connGuard
	udp   *udpFrontend

	saveMu sync.Mutex
}

// New loads the access lists and saved counters and binds the listeners.
// Run serves on them and closes them when it returns; a Server that is never
// Run holds its sockets until the process exits.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "tracker")
	cfg.Logger = log
	acc, err := newAccess(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, acc: acc, l: newLogic(cfg, acc)}
	if cfg.StateFile != "" {
		counts, err := loadState(cfg.StateFile)
		if err != nil {
			return nil, err
		}
		for ih, n := range counts {
			s.l.store.setCompleted(ih, n)
		}
	}
	if cfg.HTTPAddr != Off {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return nil, fmt.Errorf("tracker http: %w", err)
		}
		s.hln = ln
		s.guard = newConnGuard(ln, cfg.MaxHTTPConns, cfg.MaxHTTPConnsPerIP)
		started := time.Now()
		status := &statusPage{l: s.l, started: started, metrics: newMetrics(s.l, s.guard, started).Handler()}
		s.http = newHTTPServer(&httpFrontend{l: s.l, log: log, status: status}, log)
		s.http.ConnState = s.guard.connState
	}
	if cfg.UDPAddr != Off {
		ua, err := net.ResolveUDPAddr("udp", cfg.UDPAddr)
		if err == nil {
			var c *net.UDPConn
			c, err = net.ListenUDP("udp", ua)
			if err == nil {
				// Room for bursts: a full socket buffer drops announces.
				_ = c.SetReadBuffer(4 << 20)
				secret := make([]byte, 32)
				_, _ = rand.Read(secret)
				s.udp = &udpFrontend{l: s.l, conn: c, ids: newConnIDs(secret), log: log}
			}
		}
		if err != nil {
			if s.hln != nil {
				_ = s.hln.Close()
			}
			return nil, fmt.Errorf("tracker udp: %w", err)
		}
	}
	return s, nil
}

// HTTPAddr is the bound HTTP address, or the zero value when HTTP is off.
func (s *Server) HTTPAddr() netip.AddrPort {
	if s.hln == nil {
		return netip.AddrPort{}
	}
	return s.hln.Addr().(*net.TCPAddr).AddrPort()
}

// UDPAddr is the bound UDP address, or the zero value when UDP is off.
func (s *Server) UDPAddr() netip.AddrPort {
	if s.udp == nil {
		return netip.AddrPort{}
	}
	return s.udp.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Config returns the configuration in force, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Totals counts swarms and peers right now.
func (s *Server) Totals() Totals { return s.l.store.totals() }

// Requests counts requests received since New, as /metrics does.
type Requests struct {
	AnnouncesHTTP, AnnouncesUDP uint64
	ScrapesHTTP, ScrapesUDP     uint64
	// Refused counts the requests /metrics counts as refused: malformed,
	// unregistered torrent, wrong passkey, rate limited, tracker full, bad
	// UDP connection id.
	Refused uint64
}

// Requests returns the request counters; they only grow.
func (s *Server) Requests() Requests {
	m := s.l.stats
	return Requests{
		AnnouncesHTTP: m.announcesHTTP.Load(), AnnouncesUDP: m.announcesUDP.Load(),
		ScrapesHTTP: m.scrapesHTTP.Load(), ScrapesUDP: m.scrapesUDP.Load(),
		Refused: m.badRequests.Load() + m.unregistered.Load() + m.badPasskey.Load() +
			m.rateLimited.Load() + m.full.Load() + m.badConnID.Load(),
	}
}

// Swarms calls fn once for every swarm the tracker holds.
func (s *Server) Swarms(fn func(SwarmStats)) { s.l.store.swarmStats(fn) }

// Run serves until ctx is done, then stops the frontends (waiting at most a
// second for HTTP requests in flight), writes the state file and returns
// once every goroutine it started has exited. It returns nil after a clean
// shutdown, or the first error that stopped it.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("Tracker started", "config", s.cfg, "http", s.HTTPAddr(), "udp", s.UDPAddr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var serveErr error
	if s.http != nil {
		wg.Go(func() {
			err := s.http.Serve(s.guard)
			if !errors.Is(err, http.ErrServerClosed) {
				serveErr = fmt.Errorf("tracker http: %w", err)
				cancel()
			}
		})
		wg.Go(func() {
			<-ctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), time.Second)
			defer scancel()
			if err := s.http.Shutdown(sctx); err != nil {
				_ = s.http.Close()
			}
		})
	}
	if s.udp != nil {
		wg.Go(func() { s.udp.run(ctx) })
	}
	wg.Go(func() { s.acc.run(ctx, s.cfg.ReloadEvery) })
	wg.Go(func() { s.housekeep(ctx) })
	wg.Wait()
	if err := s.save(); err != nil {
		s.log.Error("Saving tracker state failed", "path", s.cfg.StateFile, "err", err)
		serveErr = errors.Join(serveErr, err)
	}
	s.log.Info("Tracker stopped")
	return serveErr
}

// housekeep expires peers, forgets refilled rate buckets and old cached
// answers, and saves the counters now and then.
func (s *Server) housekeep(ctx context.Context) {
	sweepEvery := min(s.cfg.MinInterval, s.cfg.PeerTTL/4)
	sweep := time.NewTicker(max(sweepEvery, time.Second))
	defer sweep.Stop()
	save := time.NewTicker(s.cfg.SaveEvery)
	defer save.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			n := s.l.store.expire(s.cfg.PeerTTL)
			s.l.limit.sweep(time.Now())
			s.l.cache.sweep(s.l.store.now())
			if n > 0 {
				s.log.Debug("Peers expired", "peers", n)
			}
		case <-save.C:
			if err := s.save(); err != nil {
				s.log.Warn("Saving tracker state failed", "path", s.cfg.StateFile, "err", err)
			}
		}
	}
}

func (s *Server) save() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return writeFileAtomic(s.cfg.StateFile, encodeState(s.l.store.completedCounts()))
}
