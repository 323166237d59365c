package tracker

import (
	"errors"
	"net/netip"
	"sync"
	"time"
)

// logic is the middle layer both frontends call: access, limits, the
// min-interval cache and the store. It knows no wire format.
type logic struct {
	cfg    Config
	store  *peerStore
	access *access
	limit  *limiter // nil when rate limiting is off
	cache  *answerCache
	stats  *counters
}

func newLogic(cfg Config, acc *access) *logic {
	l := &logic{
		cfg:    cfg,
		store:  newStore(cfg.MaxSwarms),
		access: acc,
		cache:  newAnswerCache(),
		stats:  &counters{},
	}
	if !cfg.NoRateLimit {
		l.limit = newLimiter(cfg.RatePerIP, cfg.BurstPerIP)
	}
	return l
}

// allow charges one request to ip's budget.
func (l *logic) allow(ip netip.Addr) bool {
	if l.limit.allow(ip, time.Now()) {
		return true
	}
	l.stats.rateLimited.Add(1)
	return false
}

func (l *logic) numWant(n int32) int {
	if n < 0 {
		return l.cfg.DefaultNumWant
	}
	return min(int(n), l.cfg.MaxNumWant)
}

// announce answers req from the peer at addr (its source IP and announced
// port). passkey is whatever key the frontend found in the URL.
func (l *logic) announce(req *AnnounceRequest, addr netip.AddrPort, passkey string, bothFamilies bool, res *announceResult) error {
	if err := l.access.list().check(req.InfoHash, passkey); err != nil {
		l.stats.failure(err)
		return err
	}
	key := cacheKey{req.InfoHash, addr}
	now := l.store.now()
	switch {
	case req.Event == EventNone && l.cache.get(key, now, res):
		l.stats.cacheHits.Add(1)
		return nil
	case req.Event != EventNone:
		// Events always reach the store, and what they change must not be
		// hidden by an answer cached before them.
		l.cache.forget(key)
	}
	err := l.store.announce(req.InfoHash, addr, req.Seeder(), req.Event, l.numWant(req.NumWant), bothFamilies, res)
	if err != nil {
		l.stats.failure(err)
		return err
	}
	if req.Event == EventNone && res.prevSeen != 0 && now-res.prevSeen < uint32(l.cfg.MinInterval/time.Second) {
		// Too soon: this peer's next early announces get this answer back
		// until min interval has passed, without touching the store.
		l.cache.put(key, now+uint32(l.cfg.MinInterval/time.Second), res)
	}
	return nil
}

func (l *logic) scrape(ihs []InfoHash, passkey string, into []scrapeEntry) ([]scrapeEntry, error) {
	list := l.access.list()
	for _, ih := range ihs {
		// Scrapes follow the announce rules, except that an unlisted torrent
		// reads as empty instead of failing the whole batch.
		err := list.check(ih, passkey)
		switch {
		case errors.Is(err, ErrUnregistered):
			into = append(into, scrapeEntry{ih: ih})
			continue
		case err != nil:
			l.stats.failure(err)
			return into, err
		}
		into = append(into, scrapeEntry{ih: ih, ScrapeStats: l.store.scrape(ih)})
	}
	return into, nil
}

type cacheKey struct {
	ih   InfoHash
	addr netip.AddrPort
}

type cachedAnswer struct {
	res     announceResult
	expires uint32
}

// answerCache keeps recent answers to too-early announces in two
// generations of maps, so it needs no per-entry timers and its size is
// bounded: when the current generation fills, it becomes the previous one.
type answerCache struct {
	shards [16]cacheShard
}

type cacheShard struct {
	mu        sync.Mutex
	cur, prev map[cacheKey]*cachedAnswer
}

const answersPerShard = 1024 // bounds the cache near 16 shards × 2 × 1024 × ~400 B

func newAnswerCache() *answerCache {
	c := &answerCache{}
	for i := range c.shards {
		c.shards[i].cur = make(map[cacheKey]*cachedAnswer)
	}
	return c
}

func (c *answerCache) shard(k cacheKey) *cacheShard { return &c.shards[k.ih[1]&15] }

func (c *answerCache) get(k cacheKey, now uint32, res *announceResult) bool {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.cur) == 0 && len(sh.prev) == 0 {
		return false
	}
	a := sh.cur[k]
	if a == nil {
		a = sh.prev[k]
	}
	if a == nil || now >= a.expires {
		return false
	}
	res.Complete, res.Incomplete, res.Downloaded = a.res.Complete, a.res.Incomplete, a.res.Downloaded
	res.Peers4 = append(res.Peers4, a.res.Peers4...)
	res.Peers6 = append(res.Peers6, a.res.Peers6...)
	return true
}

func (c *answerCache) put(k cacheKey, expires uint32, res *announceResult) {
	a := &cachedAnswer{res: *res, expires: expires}
	a.res.Peers4 = append([]byte(nil), res.Peers4...)
	a.res.Peers6 = append([]byte(nil), res.Peers6...)
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.cur) >= answersPerShard {
		sh.prev, sh.cur = sh.cur, make(map[cacheKey]*cachedAnswer)
	}
	sh.cur[k] = a
}

func (c *answerCache) forget(k cacheKey) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	delete(sh.cur, k)
	delete(sh.prev, k)
}

// sweep drops the previous generation once everything in it has expired.
func (c *answerCache) sweep(now uint32) {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k, a := range sh.cur {
			if now >= a.expires {
				delete(sh.cur, k)
			}
		}
		sh.prev = nil
		sh.mu.Unlock()
	}
}
