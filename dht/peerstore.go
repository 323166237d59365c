package dht

import (
	"container/list"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	peer_store "github.com/anacrolix/dht/v2/peer-store"
)

// maxReplyPeers is how many peers a get_peers reply carries at most, as in
// libtorrent: enough to join a swarm, small enough for one datagram.
const maxReplyPeers = 100

// peerStore keeps announced peers per infohash, keyed by ip:port so several
// clients behind one address (a LAN behind NAT, or many on one test host)
// are all kept. A hash's own cap drops its oldest peer. The store's caps
// look at the evictWindow least recently announced hashes: the hash cap
// drops the one with the fewest peers, the peer cap the oldest peer of the
// one with the most (ties: the least recent). So a run of one-off
// announces cannot push a swarm many peers announce out of the store, as
// it could when the least recent hash went first; libtorrent's store also
// drops the hash with the fewest peers.
type peerStore struct {
	maxPerHash int
	maxHashes  int
	maxPeers   int
	ttl        time.Duration

	mu       sync.Mutex
	limiter  *ipLimiter
	hashes   map[[20]byte]*list.Element // values are *hashPeers
	lru      list.List                  // front: least recently announced hash
	numPeers int
	counts   peerStoreCounts
}

type peerStoreCounts struct {
	accepted    int64
	rateLimited int64
	invalid     int64
	evicted     int64 // dropped to make room, not by expiry
	expired     int64
}

type hashPeers struct {
	ih    [20]byte
	peers map[netip.AddrPort]time.Time // last announce
}

var _ peer_store.Interface = (*peerStore)(nil)

func newPeerStore(cfg Config) *peerStore {
	return &peerStore{
		maxPerHash: cfg.MaxPeersPerHash,
		maxHashes:  cfg.MaxHashes,
		maxPeers:   cfg.MaxPeers,
		ttl:        cfg.PeerTTL,
		limiter:    newIPLimiter(cfg.AnnouncesPerIPPerMinute),
		hashes:     make(map[[20]byte]*list.Element),
	}
}

// addrPort converts the library's address, rejecting what no peer can listen on.
func addrPort(na krpc.NodeAddr) (netip.AddrPort, bool) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok || na.Port <= 0 || na.Port > 65535 {
		return netip.AddrPort{}, false
	}
	ip = ip.Unmap()
	if ip.IsUnspecified() || ip.IsMulticast() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, uint16(na.Port)), true
}

// AddPeer records an announce. The server only calls it for announces with a
// valid token, and na.IP is the announce's source address, so the rate limit
// is per source.
func (s *peerStore) AddPeer(ih peer_store.InfoHash, na krpc.NodeAddr) {
	ap, ok := addrPort(na)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.counts.invalid++
		return
	}
	if !s.limiter.allow(ap.Addr(), now) {
		s.counts.rateLimited++
		return
	}
	s.counts.accepted++
	if !s.known(ih, ap) {
		// Make room first, then look the hash up again: evictions may have
		// dropped it.
		for s.numPeers >= s.maxPeers {
			s.dropOldestPeer(s.evictable(func(a, b int) bool { return a > b }))
		}
		if el := s.hashes[ih]; el != nil && len(el.Value.(*hashPeers).peers) >= s.maxPerHash {
			s.dropOldestPeer(el.Value.(*hashPeers))
		}
		s.numPeers++
	}
	el := s.hashes[ih]
	if el == nil {
		for len(s.hashes) >= s.maxHashes {
			s.dropHash(s.hashes[s.evictable(func(a, b int) bool { return a < b }).ih])
		}
		el = s.lru.PushBack(&hashPeers{ih: ih, peers: make(map[netip.AddrPort]time.Time)})
		s.hashes[ih] = el
	} else {
		s.lru.MoveToBack(el)
	}
	hp := el.Value.(*hashPeers)
	hp.peers[ap] = now
}

// evictWindow is how many of the least recently announced hashes a full
// store compares: enough to spare a popular one, few enough that a full
// store's announce stays cheap.
const evictWindow = 16

// evictable is, of the evictWindow least recently announced hashes, the
// first whose peer count no other beats by better(count, best).
func (s *peerStore) evictable(better func(a, b int) bool) *hashPeers {
	best := s.lru.Front().Value.(*hashPeers)
	k := 0
	for el := s.lru.Front(); el != nil && k < evictWindow; el, k = el.Next(), k+1 {
		if hp := el.Value.(*hashPeers); better(len(hp.peers), len(best.peers)) {
			best = hp
		}
	}
	return best
}

func (s *peerStore) known(ih [20]byte, ap netip.AddrPort) bool {
	el := s.hashes[ih]
	if el == nil {
		return false
	}
	_, ok := el.Value.(*hashPeers).peers[ap]
	return ok
}

func (s *peerStore) dropHash(el *list.Element) {
	hp := el.Value.(*hashPeers)
	s.counts.evicted += int64(len(hp.peers))
	s.numPeers -= len(hp.peers)
	delete(s.hashes, hp.ih)
	s.lru.Remove(el)
}

// dropOldestPeer scans: a hash holds at most maxPerHash peers, and this runs
// only when a cap is hit.
func (s *peerStore) dropOldestPeer(hp *hashPeers) {
	var oldest netip.AddrPort
	var oldestAt time.Time
	for ap, at := range hp.peers {
		if !oldest.IsValid() || at.Before(oldestAt) {
			oldest, oldestAt = ap, at
		}
	}
	if !oldest.IsValid() {
		return
	}
	delete(hp.peers, oldest)
	s.numPeers--
	s.counts.evicted++
	if len(hp.peers) == 0 {
		s.dropHash(s.hashes[hp.ih])
	}
}

// GetPeers returns up to maxReplyPeers live peers, a random sample when
// there are more, so that every stored peer gets handed out.
func (s *peerStore) GetPeers(ih peer_store.InfoHash) []krpc.NodeAddr {
	now := time.Now()
	s.mu.Lock()
	var live []netip.AddrPort
	if el := s.hashes[ih]; el != nil {
		hp := el.Value.(*hashPeers)
		for ap, at := range hp.peers {
			if now.Sub(at) >= s.ttl {
				s.expirePeer(hp, ap)
				continue
			}
			live = append(live, ap)
		}
	}
	s.mu.Unlock()
	if len(live) > maxReplyPeers {
		rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		live = live[:maxReplyPeers]
	}
	out := make([]krpc.NodeAddr, len(live))
	for i, ap := range live {
		out[i] = krpc.NodeAddr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())}
	}
	return out
}

func (s *peerStore) expirePeer(hp *hashPeers, ap netip.AddrPort) {
	delete(hp.peers, ap)
	s.numPeers--
	s.counts.expired++
	if len(hp.peers) == 0 {
		s.dropHash(s.hashes[hp.ih])
	}
}

// expire drops every peer older than the TTL and forgets refilled rate-limit
// buckets. Run calls it periodically; GetPeers also expires lazily.
func (s *peerStore) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		hp := el.Value.(*hashPeers)
		for ap, at := range hp.peers {
			if now.Sub(at) >= s.ttl {
				s.expirePeer(hp, ap)
			}
		}
		el = next
	}
	s.limiter.sweep(now)
}

type peerStoreStats struct {
	peers, hashes int
	counts        peerStoreCounts
}

func (s *peerStore) stats() peerStoreStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return peerStoreStats{peers: s.numPeers, hashes: len(s.hashes), counts: s.counts}
}
