package tracker

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

const (
	numShards = 256
	stride4   = 6 + 4
	stride6   = 18 + 4
)

// peerStore is the in-memory peer store: swarms sharded by infohash as in
// chihaya's memory store, each holding compact peer records (store_peers.go).
// Times are whole seconds since the store was made, so a record's meta fits
// in 31 bits. All methods are safe for concurrent use.
type peerStore struct {
	shards    [numShards]shard
	base      time.Time
	maxSwarms int64

	swarms, seeders, leechers atomic.Int64
}

type shard struct {
	mu     sync.Mutex
	swarms map[InfoHash]*torrentPeers
	_      [40]byte // keep shards' mutexes off each other's cache lines
}

// torrentPeers is what the tracker knows of one torrent's swarm. (Not named
// swarm: that is the engine's package, which this package never imports.)
type torrentPeers struct {
	v4, v6            peerList
	seeders, leechers uint32
	completed         uint64
	lastAnnounce      uint32 // store seconds; 0 means never (loaded from state)
}

func newStore(maxSwarms int) *peerStore {
	s := &peerStore{base: time.Now(), maxSwarms: int64(maxSwarms)}
	for i := range s.shards {
		s.shards[i].swarms = make(map[InfoHash]*torrentPeers)
	}
	return s
}

func (s *peerStore) shard(ih InfoHash) *shard {
	return &s.shards[ih[0]]
}

// now is the store clock: 1 at creation, so that 0 can mean "never".
func (s *peerStore) now() uint32 {
	return uint32(time.Since(s.base)/time.Second) + 1
}

func (s *peerStore) timeOf(secs uint32) time.Time {
	if secs == 0 {
		return time.Time{}
	}
	return s.base.Add(time.Duration(secs-1) * time.Second)
}

// peerKey writes addr as a compact peer and reports its stride.
func peerKey(buf *[18]byte, addr netip.AddrPort) ([]byte, int) {
	ip := addr.Addr().Unmap()
	if ip.Is4() {
		a := ip.As4()
		copy(buf[:], a[:])
		binary.BigEndian.PutUint16(buf[4:], addr.Port())
		return buf[:6], stride4
	}
	a := ip.As16()
	copy(buf[:], a[:])
	binary.BigEndian.PutUint16(buf[16:], addr.Port())
	return buf[:18], stride6
}

// announceResult is what an announce gets back, before encoding.
type announceResult struct {
	Complete, Incomplete int
	Downloaded           uint64
	Peers4, Peers6       []byte // compact peers
	prevSeen             uint32 // store seconds of the peer's previous announce; 0 if new
}

// announce records the peer and fills res.Peers4/Peers6 (appending to what
// they hold) with up to numWant others: from the peer's own family first and,
// when bothFamilies, then from the other one.
func (s *peerStore) announce(ih InfoHash, addr netip.AddrPort, seeder bool, ev Event, numWant int, bothFamilies bool, res *announceResult) error {
	var kb [18]byte
	key, stride := peerKey(&kb, addr)
	now := s.now()
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[ih]
	if sw == nil {
		if ev == EventStopped {
			return nil
		}
		if s.maxSwarms > 0 && s.swarms.Load() >= s.maxSwarms && !s.evictPeerless(sh) {
			return ErrFull
		}
		sw = &torrentPeers{}
		sh.swarms[ih] = sw
		s.swarms.Add(1)
	}
	sw.lastAnnounce = now
	list, other, otherStride := &sw.v4, &sw.v6, stride6
	if stride == stride6 {
		list, other, otherStride = &sw.v6, &sw.v4, stride4
	}
	i := list.find(key, stride)
	wasSeeder, known := false, i >= 0
	if known {
		m := list.meta(i, stride)
		res.prevSeen = m & seenMask
		wasSeeder = m&seederBit != 0
	}
	switch {
	case ev == EventStopped:
		if i >= 0 {
			list.remove(i, stride)
			s.count(sw, wasSeeder, -1)
			i = -1
		}
		numWant = 0
	case i < 0:
		i = list.add(key, meta(now, seeder), stride)
		s.count(sw, seeder, 1)
	default:
		list.setMeta(i, stride, meta(now, seeder))
		if wasSeeder != seeder {
			s.count(sw, wasSeeder, -1)
			s.count(sw, seeder, 1)
		}
	}
	// A download completed when a peer says so, or when a peer we knew as a
	// leecher comes back with nothing left: aria2 and others skip the
	// completed event when they stop right after finishing.
	if !wasSeeder && (ev == EventCompleted || known && seeder) {
		sw.completed++
	}
	res.Complete, res.Incomplete, res.Downloaded = int(sw.seeders), int(sw.leechers), sw.completed
	if numWant > 0 {
		mine := &res.Peers4
		theirs := &res.Peers6
		if stride == stride6 {
			mine, theirs = theirs, mine
		}
		before := len(*mine)
		*mine = list.appendPeers(*mine, numWant, i, stride, seeder)
		if got := (len(*mine) - before) / (stride - 4); bothFamilies && got < numWant {
			*theirs = other.appendPeers(*theirs, numWant-got, -1, otherStride, seeder)
		}
	}
	if sw.seeders+sw.leechers == 0 && sw.completed == 0 {
		delete(sh.swarms, ih)
		s.swarms.Add(-1)
	}
	return nil
}

// evictPeerless makes room in a full store by dropping, from shard sh
// (locked), the least recently announced swarm that has no peers, only a
// completed counter. Live swarms always win over old counters, so a flood
// of one-off infohashes in open mode cannot lock real torrents out; expire
// does the same across all shards when the store is nearly full.
func (s *peerStore) evictPeerless(sh *shard) bool {
	var victim InfoHash
	oldest, found := uint32(0), false
	for ih, sw := range sh.swarms {
		if sw.seeders+sw.leechers == 0 && (!found || sw.lastAnnounce < oldest) {
			victim, oldest, found = ih, sw.lastAnnounce, true
		}
	}
	if found {
		delete(sh.swarms, victim)
		s.swarms.Add(-1)
	}
	return found
}

func meta(now uint32, seeder bool) uint32 {
	m := now & seenMask
	if seeder {
		m |= seederBit
	}
	return m
}

func (s *peerStore) count(sw *torrentPeers, seeder bool, d int) {
	if seeder {
		sw.seeders = uint32(int(sw.seeders) + d)
		s.seeders.Add(int64(d))
	} else {
		sw.leechers = uint32(int(sw.leechers) + d)
		s.leechers.Add(int64(d))
	}
}

// ScrapeStats are one torrent's counts (BEP 48).
type ScrapeStats struct {
	Complete, Incomplete int
	Downloaded           uint64
}

func (s *peerStore) scrape(ih InfoHash) ScrapeStats {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[ih]
	if sw == nil {
		return ScrapeStats{}
	}
	return ScrapeStats{Complete: int(sw.seeders), Incomplete: int(sw.leechers), Downloaded: sw.completed}
}

// expire drops peers not seen for ttl, and swarms left with nothing to keep.
func (s *peerStore) expire(ttl time.Duration) (peers int) {
	now := s.now()
	ttlSecs := uint32(ttl / time.Second)
	var cutoff uint32 // 0 expires no one: the store is younger than ttl
	if now > ttlSecs {
		cutoff = now - ttlSecs
	}
	crowded := s.maxSwarms > 0 && s.swarms.Load() > s.maxSwarms*9/10
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for ih, sw := range sh.swarms {
			s4, l4 := sw.v4.expire(cutoff, stride4)
			s6, l6 := sw.v6.expire(cutoff, stride6)
			if gone := s4 + s6; gone > 0 {
				s.count(sw, true, -gone)
			}
			if gone := l4 + l6; gone > 0 {
				s.count(sw, false, -gone)
			}
			peers += s4 + s6 + l4 + l6
			if sw.seeders+sw.leechers == 0 && (sw.completed == 0 || crowded) {
				delete(sh.swarms, ih)
				s.swarms.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
	return peers
}

// SwarmStats is one swarm as the status page shows it.
type SwarmStats struct {
	InfoHash     InfoHash
	Seeders      int
	Leechers     int
	Completed    uint64
	LastAnnounce time.Time // zero if no peer announced since the tracker started
}

// swarmStats calls fn for every swarm, one shard lock at a time.
func (s *peerStore) swarmStats(fn func(SwarmStats)) {
	var batch []SwarmStats
	for i := range s.shards {
		sh := &s.shards[i]
		batch = batch[:0]
		sh.mu.Lock()
		for ih, sw := range sh.swarms {
			batch = append(batch, SwarmStats{
				InfoHash: ih, Seeders: int(sw.seeders), Leechers: int(sw.leechers),
				Completed: sw.completed, LastAnnounce: s.timeOf(sw.lastAnnounce),
			})
		}
		sh.mu.Unlock()
		for _, st := range batch { // fn runs without the lock
			fn(st)
		}
	}
}

// completedCounts returns every nonzero completed counter.
func (s *peerStore) completedCounts() map[InfoHash]uint64 {
	out := make(map[InfoHash]uint64)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for ih, sw := range sh.swarms {
			if sw.completed > 0 {
				out[ih] = sw.completed
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// setCompleted restores a counter saved by an earlier run.
func (s *peerStore) setCompleted(ih InfoHash, n uint64) {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[ih]
	if sw == nil {
		sw = &torrentPeers{}
		sh.swarms[ih] = sw
		s.swarms.Add(1)
	}
	sw.completed = n
}

// Totals are the store's counts, read without locks.
type Totals struct {
	Swarms, Seeders, Leechers int64
}

func (s *peerStore) totals() Totals {
	return Totals{Swarms: s.swarms.Load(), Seeders: s.seeders.Load(), Leechers: s.leechers.Load()}
}
