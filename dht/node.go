package dht

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"golang.org/x/time/rate"
)

// ErrNoNodes means a lookup had nobody to ask: the routing table is empty
// and no bootstrap node answered (or none was configured).
var ErrNoNodes = errors.New("dht: no nodes to query")

// ErrClosed is returned by lookups on a node that was closed (or whose Run
// returned).
var ErrClosed = errors.New("dht: node closed")

// Node is one DHT node: it answers queries, stores announced peers, and runs
// lookups for the engine. Create it with New and serve it with Run.
type Node struct {
	cfg    Config
	log    *slog.Logger
	conn   net.PacketConn
	screen *screenConn                 // what the library reads from: conn minus crashing packets
	srv    atomic.Pointer[adht.Server] // set once New has it; onQuery may run earlier
	store  *peerStore
	id     [20]byte

	fallbacks atomic.Int64 // times the table was empty and Bootstrap was consulted
	closeOnce sync.Once
	saveMu    sync.Mutex

	pingMu    sync.Mutex
	closing   bool
	pinged    map[netip.AddrPort]time.Time
	pingSlots chan struct{}
	goodNodes atomic.Int64 // refreshed by Run; onQuery can't ask the server

	external   externalIP
	nextIDOnce sync.Once
	nextID     [20]byte
	pings      sync.WaitGroup
	pingCtx    context.Context
	stopPings  context.CancelFunc

	// bootstrapped is closed once Run's first bootstrap is over, or as
	// soon as the table holds a bucket of nodes that answered, whichever
	// comes first; lookups wait for it (briefly), since one run on the
	// bare state file or bootstrap list reaches few nodes and an announce
	// there is lost. Not waiting for the whole bootstrap matters after a
	// restart: the traversal waits out every dead contact of the saved
	// table, which kept a magnet's first lookup back by 2 s.
	bootstrapped     chan struct{}
	bootstrappedOnce sync.Once
	running          atomic.Bool // Run was called; else nobody will bootstrap
}

// maxBootstrapWait bounds how long a lookup waits for the first bootstrap.
const maxBootstrapWait = 5 * time.Second

// Stats is a point-in-time view of a node, cheap enough for every snapshot.
type Stats struct {
	Nodes     int // contacts in the routing table
	GoodNodes int // of which recently heard from (BEP 5 "good")

	PeersStored          int   // peers held for others, over all infohashes
	Hashes               int   // infohashes with stored peers
	AnnouncesAccepted    int64 // announce_peer stored (valid token, within limits)
	AnnouncesRateLimited int64 // announce_peer dropped by the per-IP limit
	PeersEvicted         int64 // stored peers dropped to respect a cap

	QueriesSent        int64 // outbound queries since start
	OutstandingQueries int
	BootstrapFallbacks int64 // times the table was empty and Config.Bootstrap was consulted
	MalformedDropped   int64 // datagrams dropped because they would crash the library
}

// New opens the socket (unless Config.Conn is given), loads the state file
// and starts answering queries. Call Run to bootstrap, maintain the table
// and persist it, and Close (or end Run) to stop.
func New(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	for _, hp := range cfg.Bootstrap {
		if _, err := splitBootstrap(hp); err != nil {
			return nil, err
		}
	}
	n := &Node{
		cfg:       cfg,
		store:     newPeerStore(cfg),
		pinged:    make(map[netip.AddrPort]time.Time),
		pingSlots: make(chan struct{}, maxPingsInFlight),

		bootstrapped: make(chan struct{}),
	}
	n.log = cfg.Logger.With("component", "dht")
	n.pingCtx, n.stopPings = context.WithCancel(context.Background())

	var saved state
	if cfg.StateFile != "" {
		st, ok, err := loadState(cfg.StateFile)
		switch {
		case err != nil:
			// A damaged file costs a cold bootstrap, not the run.
			n.log.Warn("Ignoring DHT state file", "file", cfg.StateFile, "err", err)
		case ok:
			saved = st
		}
	}

	n.conn = cfg.Conn
	if n.conn == nil {
		c, err := net.ListenPacket("udp", cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("dht listen: %w", err)
		}
		n.conn = c
	}
	localIP := localAddr(n.conn).Addr()
	n.id = chooseID(cfg.NodeID, saved.ID, cfg.StateReadOnly, localIP)

	n.screen = &screenConn{PacketConn: n.conn}
	sc := adht.ServerConfig{
		NodeId: n.id,
		Conn:   n.screen,
		// BEP 42 on: the library exempts loopback and private addresses, so
		// it bites only on public nodes with ids that don't match their IP.
		NoSecurity:       false,
		Passive:          cfg.ReadOnly,
		StartingNodes:    n.startingNodes,
		PeerStore:        n.store,
		OnQuery:          n.onQuery,
		QueryResendDelay: func() time.Duration { return cfg.QueryTimeout },
		Logger:           libLogger(n.log),
		DefaultWant:      wantsFor(localIP),
		// Per node: the library's default limiter is a package global that
		// every Server in the process would share.
		SendLimiter: rate.NewLimiter(1000, 200),
	}
	if isPublic(localIP) {
		sc.PublicIP = net.IP(localIP.AsSlice())
	}
	srv, err := adht.NewServer(&sc)
	if err != nil {
		n.conn.Close()
		return nil, fmt.Errorf("dht server: %w", err)
	}
	n.srv.Store(srv)
	added := 0
	for _, c := range saved.Nodes {
		if !reachable(localIP, c.Addr.Addr()) {
			continue
		}
		ni := krpc.NodeInfo{ID: c.ID, Addr: krpc.NodeAddr{IP: net.IP(c.Addr.Addr().AsSlice()), Port: int(c.Addr.Port())}}
		if srv.AddNode(ni) == nil {
			added++
		}
	}
	if len(saved.Nodes) > 0 {
		n.log.Info("Loaded DHT routing table", "file", cfg.StateFile, "nodes", added, "saved", saved.Saved)
	}
	return n, nil
}

func chooseID(fixed, saved [20]byte, readOnly bool, ip netip.Addr) [20]byte {
	if fixed != ([20]byte{}) {
		return fixed
	}
	if !readOnly && saved != ([20]byte{}) && (!isPublic(ip) || adht.NodeIdSecure(saved, net.IP(ip.AsSlice()))) {
		return saved
	}
	id := krpc.ID(randomID())
	if isPublic(ip) {
		adht.SecureNodeId(&id, net.IP(ip.AsSlice()))
	}
	return id
}

func randomID() (id [20]byte) {
	rand.Read(id[:])
	return id
}

// wantsFor asks only for the node lists our socket can reach (BEP 32).
func wantsFor(local netip.Addr) []krpc.Want {
	switch {
	case local.Is4():
		return []krpc.Want{krpc.WantNodes}
	case local.Is6() && !local.IsUnspecified():
		return []krpc.Want{krpc.WantNodes6}
	}
	return []krpc.Want{krpc.WantNodes, krpc.WantNodes6}
}

// reachable reports whether a socket bound to local can send to ip.
func reachable(local, ip netip.Addr) bool {
	switch {
	case local.Is4():
		return ip.Is4()
	case local.IsUnspecified():
		return true
	}
	return ip.Is6()
}

// isPublic reports whether ip is one that BEP 42 binds node ids to.
func isPublic(ip netip.Addr) bool {
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate()
}

func localAddr(c net.PacketConn) netip.AddrPort {
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(c.LocalAddr().String())
	return ap
}

func splitBootstrap(hp string) ([2]string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err == nil {
		var p uint64
		p, err = strconv.ParseUint(port, 10, 16)
		if err == nil && (p == 0 || host == "") {
			err = errors.New("want host:port with a nonzero port")
		}
	}
	if err != nil {
		return [2]string{}, fmt.Errorf("dht bootstrap %q: %w", hp, err)
	}
	return [2]string{host, port}, nil
}

// startingNodes is the library's fallback when the routing table is empty.
func (n *Node) startingNodes() ([]adht.Addr, error) {
	n.fallbacks.Add(1)
	if len(n.cfg.Bootstrap) == 0 {
		return nil, errors.New("no bootstrap nodes configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v4only := localAddr(n.conn).Addr().Is4()
	var addrs []adht.Addr
	for _, hp := range n.cfg.Bootstrap {
		hostPort, _ := splitBootstrap(hp)
		port, _ := strconv.ParseUint(hostPort[1], 10, 16)
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", hostPort[0])
		if err != nil {
			n.log.Debug("Resolving DHT bootstrap node", "node", hp, "err", err)
			continue
		}
		for _, ip := range ips {
			ip = ip.Unmap()
			if v4only && !ip.Is4() {
				continue
			}
			addrs = append(addrs, adht.NewAddr(net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))))
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("no bootstrap node resolved")
	}
	return addrs, nil
}

// Run bootstraps, keeps the routing table fresh, expires stored peers and
// saves the state file every Config.SaveEvery. It returns once ctx is done,
// the state is saved and the node is closed; the error is the final save's.
func (n *Node) Run(ctx context.Context) error {
	n.log.Info("DHT node started", "addr", n.Addr(), "id", hex.EncodeToString(n.id[:]), "config", n.cfg)
	// Before the maintainer starts, which would otherwise bootstrap too.
	n.running.Store(true)
	booted := make(chan struct{})
	go n.openWhenHealthy(booted)
	n.bootstrap(ctx, true)
	close(booted)
	n.openLookups()
	var wg sync.WaitGroup
	// The library's maintainer pings questionable nodes each minute,
	// refreshes buckets quiet for 15 minutes (BEP 5; our patch, see
	// third_party/anacrolix-dht) and re-bootstraps every 30 minutes; it
	// returns on Close. Its first round is a burst of queries, so it
	// starts after a random 30-90s: nodes that start together (a LAN after
	// a power cut, or a test) don't all burst at once, and bootstrapLoop
	// covers the start.
	wg.Go(func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(30*time.Second + mrand.N(time.Minute)):
		}
		n.srv.Load().TableMaintainer()
	})
	wg.Go(func() { n.bootstrapLoop(ctx) })
	tick := time.NewTicker(n.cfg.SaveEvery)
	defer tick.Stop()
	statTick := time.NewTicker(2 * time.Second) // a fresh table fills within seconds
	defer statTick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-statTick.C:
			good := n.srv.Load().Stats().GoodNodes
			n.goodNodes.Store(int64(good))
			statTick.Reset(goodNodesEvery(good))
		case now := <-tick.C:
			n.store.expire(now)
			if err := n.save(); err != nil {
				n.log.Warn("Saving DHT state", "file", n.cfg.StateFile, "err", err)
			}
			st := n.Stats()
			n.log.Debug("DHT node status", "nodes", st.Nodes, "goodNodes", st.GoodNodes,
				"peers", st.PeersStored, "hashes", st.Hashes, "rateLimited", st.AnnouncesRateLimited)
		}
	}
	err := n.save()
	n.Close()
	wg.Wait()
	return err
}

// goodNodesEvery is how often Run counts the good nodes for onQuery, given
// the last count. The library counts by checking every contact (BEP 42
// included), about 50 µs for a table of 70, and the count only tells
// onQuery whether to ping queriers back, where a few seconds late costs a
// few pings. With thousands of nodes in one process (a bench) counting
// every 2 s was a tenth of the CPU.
func goodNodesEvery(good int) time.Duration {
	if good >= pingWhileGoodBelow {
		return time.Minute
	}
	return 10 * time.Second
}

// wantGoodNodes is when the table counts as healthy: one full bucket.
const wantGoodNodes = 8

func (n *Node) openLookups() { n.bootstrappedOnce.Do(func() { close(n.bootstrapped) }) }

// openWhenHealthy lets lookups start during the first bootstrap once
// wantGoodNodes nodes have answered, or once any has and lookupGrace has
// passed. The bootstrap walks towards our own id, and after a restart the
// nodes nearest it are often our own earlier incarnations, gone: waiting
// out their timeouts (2 s) helps no lookup for anything else.
func (n *Node) openWhenHealthy(booted <-chan struct{}) {
	start := time.Now()
	// Counting good nodes checks every contact: often at first, when a
	// bucket's worth of answers comes within milliseconds, then less and
	// less (a poll is late by at most a quarter of the time waited). Five
	// hundred nodes joining a busy network each counting every 5 ms while
	// their bootstraps took seconds was 100,000 counts a second.
	every := 5 * time.Millisecond
	tk := time.NewTimer(every)
	defer tk.Stop()
	for {
		select {
		case <-booted:
			return
		case <-tk.C:
			every = min(every*5/4, 250*time.Millisecond)
			tk.Reset(every)
			srv := n.srv.Load()
			if srv == nil {
				continue
			}
			if good := srv.Stats().GoodNodes; good >= wantGoodNodes || good > 0 && time.Since(start) >= lookupGrace {
				n.log.Debug("DHT lookups may start", "goodNodes", good, "after", time.Since(start))
				n.openLookups()
				return
			}
		}
	}
}

// lookupGrace is how long lookups wait for a bucket's worth of answers
// before going ahead with fewer.
const lookupGrace = 250 * time.Millisecond

// bootstrapLoop bootstraps again, with backoff, while the table is thin.
// The library's maintainer re-bootstraps only every 30 minutes, so a node
// whose first attempt went unanswered (the bootstrap node was busy or not
// up yet) would otherwise stay alone for that long.
func (n *Node) bootstrapLoop(ctx context.Context) {
	delay := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		n.bootstrap(ctx, false)
		if n.srv.Load().Stats().GoodNodes >= wantGoodNodes {
			delay = time.Minute
		} else {
			// Gently: a thin table in a young network fills up as
			// others join, and a retry costs only a handful of queries.
			delay = min(delay*3/2, time.Minute)
		}
	}
}

// bootstrap fills a thin table from its contacts or Config.Bootstrap.
func (n *Node) bootstrap(ctx context.Context, first bool) {
	srv := n.srv.Load()
	if srv.Stats().GoodNodes >= wantGoodNodes || (srv.NumNodes() == 0 && len(n.cfg.Bootstrap) == 0) {
		return
	}
	ts, err := srv.BootstrapContext(ctx)
	if err == nil && srv.NumNodes() > 0 && len(n.cfg.Bootstrap) > 0 && srv.Stats().GoodNodes < wantGoodNodes {
		// The saved contacts are mostly gone (a state file from days ago,
		// a LAN whose nodes moved), or lead into some other small DHT. The
		// library falls back to the bootstrap nodes only when the table is
		// empty, so ask them ourselves; a healthy saved table never gets
		// here, so a restart still needs no bootstrap.
		if addrs, aerr := n.startingNodes(); aerr == nil {
			for _, a := range addrs {
				srv.Ping(&net.UDPAddr{IP: a.IP(), Port: a.Port()})
			}
			ts, err = srv.BootstrapContext(ctx)
		}
	}
	switch {
	case ctx.Err() != nil:
	case err != nil && first:
		n.log.Warn("DHT bootstrap failed", "err", err)
	case err != nil:
		// Includes the maintainer's own periodic bootstrap running now.
		n.log.Debug("DHT bootstrap failed", "err", err)
	default:
		n.log.Info("DHT bootstrapped", "contacted", ts.NumAddrsTried, "responded", ts.NumResponses, "nodes", srv.NumNodes())
	}
}

// save writes the state file, if this node keeps one.
func (n *Node) save() error {
	if n.cfg.StateFile == "" || n.cfg.StateReadOnly {
		return nil
	}
	st := state{ID: n.idToSave(), Saved: time.Now().Truncate(time.Second)}
	for _, ni := range n.srv.Load().Nodes() {
		ap, ok := addrPort(ni.Addr)
		if !ok || len(st.Nodes) >= maxStateNodes {
			continue
		}
		// Only contacts that answered us go back to the file, unless
		// nobody did (offline: what we had is still our best guess). A
		// table keeps unanswered contacts for a long time, and saved
		// again and again they piled up: each restart then spent its
		// first lookups waiting out timeouts of nodes long gone.
		if yes, any := n.screen.answered(ap); any && !yes {
			continue
		}
		st.Nodes = append(st.Nodes, contact{ID: ni.ID, Addr: ap})
	}
	n.saveMu.Lock()
	defer n.saveMu.Unlock()
	return saveState(n.cfg.StateFile, st)
}

// Addr is the UDP address the node listens on.
func (n *Node) Addr() netip.AddrPort { return localAddr(n.conn) }

// ID is the node's 160-bit id.
func (n *Node) ID() [20]byte { return n.id }

// Stats reports the routing table and peer store; safe from any goroutine.
func (n *Node) Stats() Stats {
	ss := n.srv.Load().Stats()
	ps := n.store.stats()
	return Stats{
		Nodes:                ss.Nodes,
		GoodNodes:            ss.GoodNodes,
		PeersStored:          ps.peers,
		Hashes:               ps.hashes,
		AnnouncesAccepted:    ps.counts.accepted,
		AnnouncesRateLimited: ps.counts.rateLimited,
		PeersEvicted:         ps.counts.evicted,
		QueriesSent:          ss.OutboundQueriesAttempted,
		OutstandingQueries:   ss.OutstandingTransactions,
		BootstrapFallbacks:   n.fallbacks.Load(),
		MalformedDropped:     n.screen.dropped.Load(),
	}
}

// Close stops the node and closes its socket without saving state (Run
// saves on its way out). It is safe to call more than once.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		n.pingMu.Lock()
		n.closing = true
		n.pingMu.Unlock()
		n.stopPings()
		n.srv.Load().Close()
		// The library closes the socket asynchronously; close it here too
		// so the port is free when Close returns.
		if cerr := n.conn.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		n.pings.Wait()
	})
	return err
}
