package dht

import (
	"net/netip"
	"time"
)

// ipLimiter is a token bucket per source IP. IPv6 sources are keyed by their
// /64, since one host usually holds a whole /64 and could otherwise rotate
// addresses to dodge the limit. It is not safe for concurrent use; the peer
// store's mutex guards it.
type ipLimiter struct {
	perMinute float64
	burst     float64
	maxIPs    int // bounds memory under a many-address flood
	buckets   map[netip.Addr]tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// maxLimitedIPs bounds the limiter's table. When it is full of sources that
// are still limited, new sources are refused until some refill: failing
// closed is right for a flood, and honest peers retry at their next announce.
// It can fail closed because it meters only announce_peer with a valid
// token, so each source in the table proved its address by a round trip;
// failing open would let a many-address flood (a /48 holds 65,536 /64s)
// write unmetered into the peer store. tracker/ratelimit.go fails open
// instead: it meters every packet before any address is proven, so a
// spoofer could fill its table for free.
const maxLimitedIPs = 1 << 16

func newIPLimiter(perMinute int) *ipLimiter {
	return &ipLimiter{
		perMinute: float64(perMinute),
		burst:     float64(perMinute),
		maxIPs:    maxLimitedIPs,
		buckets:   make(map[netip.Addr]tokenBucket),
	}
}

func limiterKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

func (l *ipLimiter) refill(b tokenBucket, now time.Time) tokenBucket {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Minutes()*l.perMinute)
		b.last = now
	}
	return b
}

// allow takes one token from ip's bucket and reports whether there was one.
func (l *ipLimiter) allow(ip netip.Addr, now time.Time) bool {
	key := limiterKey(ip)
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxIPs {
			l.sweep(now)
			if len(l.buckets) >= l.maxIPs {
				return false
			}
		}
		b = tokenBucket{tokens: l.burst, last: now}
	}
	b = l.refill(b, now)
	if b.tokens < 1 {
		l.buckets[key] = b
		return false
	}
	b.tokens--
	l.buckets[key] = b
	return true
}

// sweep forgets sources whose bucket has refilled: a full bucket is the same
// as no bucket.
func (l *ipLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now).tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}
