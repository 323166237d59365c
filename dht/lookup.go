package dht

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/int160"
	k_nearest_nodes "github.com/anacrolix/dht/v2/k-nearest-nodes"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/dht/v2/traversal"
	"github.com/anacrolix/dht/v2/types"
)

// The library's Server.AnnounceTraversal keeps the 8 closest responders
// and stops there. Its routing table answers find_node with a bucket's
// nodes rather than the closest ones, so in a young or small network two
// traversals from different places can settle on different sets of 8 and a
// leecher misses the seed's announce. Tracking the closest 16 costs a few
// more queries and makes lookups land; we still announce to the closest 8,
// as BEP 5 says.
const (
	lookupK     = 16
	announceK   = 8
	lookupAlpha = 3
)

// LookupStats describes one get_peers traversal.
type LookupStats struct {
	NodesContacted int           // distinct addresses queried
	NodesResponded int           // of which replied
	Announced      int           // announce_peer queries that succeeded (Announce only)
	Duration       time.Duration // until the traversal (and any announce) finished
	FirstPeer      time.Duration // until the first peer arrived; 0 if none did
}

// GetPeers walks the DHT towards ih and returns the distinct peers the nodes
// on the way know of. It returns when the traversal runs out of closer nodes
// or ctx is done; in the latter case it returns what it found with ctx's
// error.
func (n *Node) GetPeers(ctx context.Context, ih [20]byte) ([]netip.AddrPort, LookupStats, error) {
	return n.lookup(ctx, ih, false, 0, nil)
}

// Announce does what GetPeers does and then announces this host as a peer
// for ih on port to the closest nodes that gave a token. Port 0 asks them to
// use the source port of our packets (BEP 5 implied_port), which is the peer
// port only when Config.Conn is the shared UDP peer port.
func (n *Node) Announce(ctx context.Context, ih [20]byte, port int) ([]netip.AddrPort, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("dht announce: port %d out of range", port)
	}
	peers, _, err := n.lookup(ctx, ih, true, port, nil)
	return peers, err
}

// AnnounceStats is Announce with the lookup's statistics.
func (n *Node) AnnounceStats(ctx context.Context, ih [20]byte, port int) ([]netip.AddrPort, LookupStats, error) {
	return n.AnnounceFound(ctx, ih, port, nil)
}

// AnnounceFound is AnnounceStats that also hands each batch of new peers to
// found as soon as a node names them, from the lookup's goroutines. A
// lookup lasts until its slowest useful node answers or times out (2 s for
// a node that has gone), while the peers usually come in the first
// milliseconds: a download need not wait for the rest.
func (n *Node) AnnounceFound(ctx context.Context, ih [20]byte, port int, found func([]netip.AddrPort)) ([]netip.AddrPort, LookupStats, error) {
	if port < 0 || port > 65535 {
		return nil, LookupStats{}, fmt.Errorf("dht announce: port %d out of range", port)
	}
	return n.lookup(ctx, ih, true, port, found)
}

// nodeFilter is the library's filter (BEP 42, blocklist) plus: never query
// ourselves, and skip v4-mapped addresses, which anacrolix nodes list in
// nodes6 next to the same node in nodes; querying both would ask every node
// twice and announce to it twice.
func (n *Node) nodeFilter(node types.AddrMaybeId) bool {
	ap := node.Addr.AddrPort
	if ap.Addr().Is4In6() || ap == n.Addr() {
		return false
	}
	// A node that let a query go unanswered for a while is most likely
	// gone (a saved contact from yesterday); asking again would hold the
	// lookup up for a whole timeout.
	if n.screen.silent(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), n.silentAfter()) {
		return false
	}
	if node.Id.Ok && node.Id.Value.AsByteArray() == n.id {
		return false
	}
	return n.srv.Load().TraversalNodeFilter(node)
}

// silentAfter is how long after a query without an answer a node counts
// as silent: well past a round trip, well before the query's timeout.
func (n *Node) silentAfter() time.Duration { return min(200*time.Millisecond, n.cfg.QueryTimeout/2) }

// peerSet collects peers from concurrent query goroutines.
type peerSet struct {
	start time.Time
	mu    sync.Mutex
	seen  map[netip.AddrPort]struct{}
	list  []netip.AddrPort
	first time.Duration
}

// add records values and returns those not seen before.
func (ps *peerSet) add(values []krpc.NodeAddr) (fresh []netip.AddrPort) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range values {
		ap, ok := addrPort(p)
		if _, dup := ps.seen[ap]; !ok || dup {
			continue
		}
		if len(ps.list) == 0 {
			ps.first = time.Since(ps.start)
		}
		ps.seen[ap] = struct{}{}
		ps.list = append(ps.list, ap)
		fresh = append(fresh, ap)
	}
	return fresh
}

func (n *Node) lookup(ctx context.Context, ih [20]byte, announce bool, port int, found func([]netip.AddrPort)) ([]netip.AddrPort, LookupStats, error) {
	ps := &peerSet{start: time.Now(), seen: make(map[netip.AddrPort]struct{})}
	var st LookupStats
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}
	n.pingMu.Lock()
	closed := n.closing
	n.pingMu.Unlock()
	if closed {
		return nil, st, ErrClosed
	}
	if n.running.Load() {
		select {
		case <-n.bootstrapped:
		case <-ctx.Done():
			return nil, st, ctx.Err()
		case <-time.After(maxBootstrapWait):
		}
	}
	srv := n.srv.Load()
	target := int160.FromByteArray(ih)
	op := traversal.Start(traversal.OperationInput{
		Target: ih,
		Alpha:  lookupAlpha,
		K:      lookupK,
		DoQuery: func(qctx context.Context, addr krpc.NodeAddr) traversal.QueryResult {
			res := srv.GetPeers(qctx, adht.NewAddr(addr.UDP()), target, false, adht.QueryRateLimiting{})
			if r := res.Reply.R; r != nil {
				if fresh := ps.add(r.Values); len(fresh) > 0 && found != nil {
					found(fresh)
				}
				n.external.vote(res.Reply.IP)
			}
			return res.TraversalQueryResult(addr)
		},
		NodeFilter: n.nodeFilter,
		// Only nodes that gave a token can be announced to.
		DataFilter: func(data any) bool { _, ok := data.(string); return ok },
	})
	starting, err := srv.TraversalStartingNodes()
	if err != nil {
		op.Stop()
		<-op.Stopped()
		return nil, st, fmt.Errorf("%w: %w", ErrNoNodes, err)
	}
	op.AddNodes(starting)
	var ctxErr error
	select {
	case <-op.Stalled():
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	op.Stop()
	<-op.Stopped()
	if announce && ctxErr == nil {
		st.Announced, ctxErr = n.announceClosest(ctx, srv, op.Closest(), ih, port)
	}
	ts := op.Stats()
	st.NodesContacted = int(atomic.LoadUint32(&ts.NumAddrsTried))
	st.NodesResponded = int(atomic.LoadUint32(&ts.NumResponses))
	st.Duration = time.Since(ps.start)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st.FirstPeer = ps.first
	return ps.list, st, ctxErr
}

// announceClosest sends announce_peer to the closest announceK nodes that
// gave a token, in parallel, and counts the successes.
func (n *Node) announceClosest(ctx context.Context, srv *adht.Server, closest *k_nearest_nodes.Type, ih [20]byte, port int) (int, error) {
	var (
		wg sync.WaitGroup
		ok atomic.Int32
	)
	sent := 0
	closest.Range(func(e k_nearest_nodes.Elem) {
		token, isToken := e.Data.(string)
		if sent >= announceK || !isToken {
			return
		}
		sent++
		wg.Go(func() {
			res := srv.Query(ctx, adht.NewAddr(e.Addr.UDP()), "announce_peer", adht.QueryInput{
				MsgArgs: krpc.MsgArgs{
					InfoHash:    ih,
					ImpliedPort: port == 0,
					Port:        &port,
					Token:       token,
				},
			})
			if err := res.ToError(); err != nil {
				n.log.Debug("DHT announce_peer failed", "node", e.Addr.String(), "err", err)
				return
			}
			ok.Add(1)
		})
	})
	wg.Wait()
	if sent > 0 && ok.Load() == 0 {
		return 0, errors.Join(ctx.Err(), fmt.Errorf("dht announce: none of %d nodes accepted", sent))
	}
	return int(ok.Load()), ctx.Err()
}
