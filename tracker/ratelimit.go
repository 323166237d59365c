package tracker

import (
	"net/netip"
	"sync"
	"time"
)

// limiter is a token bucket per client IP (per /64 for IPv6, which a host
// can fill with addresses), sharded like the store.
type limiter struct {
	ratePerSec float64
	burst      float64
	shards     [64]limShard
}

type limShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBucketsPerShard bounds memory under a flood of spoofed UDP sources.
// Past it new IPs go unmetered rather than locked out: this limiter runs
// before anything proves a source address (every UDP packet is charged
// before its connection id is checked), so a spoofer could fill the table
// at no cost, and failing closed would hand it every honest newcomer.
// Unmetered newcomers still need a valid connection id (UDP), or a TCP
// handshake and a connection slot (HTTP).
// dht/ratelimit.go fails closed instead: it meters only writes that carry a
// token, whose source address is proven, and a dropped DHT announce is
// retried and stored by other nodes anyway.
const maxBucketsPerShard = 1 << 14

func newLimiter(ratePerSec float64, burst int) *limiter {
	l := &limiter{ratePerSec: ratePerSec, burst: float64(burst)}
	for i := range l.shards {
		l.shards[i].buckets = make(map[netip.Addr]bucket)
	}
	return l
}

func limitKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// allow takes a token for ip and reports whether there was one.
func (l *limiter) allow(ip netip.Addr, now time.Time) bool {
	if l == nil {
		return true
	}
	key := limitKey(ip)
	b16 := key.As16()
	sh := &l.shards[(b16[15]^b16[14]^b16[7])&63]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		if len(sh.buckets) >= maxBucketsPerShard {
			return true
		}
		b = bucket{tokens: l.burst, last: now}
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.ratePerSec)
	b.last = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	sh.buckets[key] = b
	return allowed
}

// sweep forgets buckets that have refilled: they hold no information.
func (l *limiter) sweep(now time.Time) {
	if l == nil {
		return
	}
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, b := range sh.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*l.ratePerSec >= l.burst {
				delete(sh.buckets, k)
			}
		}
		sh.mu.Unlock()
	}
}
