package tracker

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"
)

// connIDs makes BEP 15 connection ids that need no table: the first four
// bytes are the issue time in seconds, the last four a MAC of that time and
// the client's IP under a per-process secret key. A client cannot forge one
// for an address it does not receive packets at, so announces cannot be
// spoofed from other hosts' addresses, and the id expires after connIDTTL.
//
// The MAC is CBC-MAC over AES of two fixed-length blocks (IP, then time),
// which for fixed-length input is a PRF like HMAC; it costs two AES-NI block
// encryptions instead of an HMAC-SHA256 per packet.
type connIDs struct {
	block cipher.Block // safe for concurrent use
}

const connIDTTL = 2 * time.Minute

func newConnIDs(secret []byte) *connIDs {
	var key [32]byte
	copy(key[:], secret)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	return &connIDs{block: block}
}

func (c *connIDs) mac(ip netip.Addr, ts uint32) uint32 {
	b := ip.Unmap().As16()
	c.block.Encrypt(b[:], b[:])
	var t [16]byte
	binary.BigEndian.PutUint32(t[:], ts)
	subtle.XORBytes(b[:], b[:], t[:])
	c.block.Encrypt(b[:], b[:])
	return binary.BigEndian.Uint32(b[:])
}

func (c *connIDs) issue(ip netip.Addr, now time.Time) uint64 {
	ts := uint32(now.Unix())
	return uint64(ts)<<32 | uint64(c.mac(ip, ts))
}

func (c *connIDs) valid(id uint64, ip netip.Addr, now time.Time) bool {
	ts := uint32(id >> 32)
	age := int64(uint32(now.Unix()) - ts) // wraps correctly across 2106
	if age < -5 || age > int64(connIDTTL/time.Second) {
		return false
	}
	return subtle.ConstantTimeEq(int32(c.mac(ip, ts)), int32(uint32(id))) == 1
}

// udpFrontend serves BEP 15 on one socket with a few reader goroutines.
type udpFrontend struct {
	l    *logic
	conn *net.UDPConn
	ids  *connIDs
	log  *slog.Logger
}

func (u *udpFrontend) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(u.readLoopPlatform)
	}
	<-ctx.Done()
	_ = u.conn.Close() // unblocks the readers
	wg.Wait()
}

func (u *udpFrontend) readLoop() {
	in := make([]byte, 2048)
	out := make([]byte, 0, 1500)
	res := announceResult{Peers4: make([]byte, 0, 512), Peers6: make([]byte, 0, 512)}
	var scrape []scrapeEntry
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(in)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			u.log.Debug("UDP read", "err", err)
			continue
		}
		out = u.handle(in[:n], from, out[:0], &res, &scrape)
		if len(out) > 0 {
			if _, err := u.conn.WriteToUDPAddrPort(out, from); err != nil && !errors.Is(err, net.ErrClosed) {
				u.log.Debug("UDP write", "err", err)
			}
		}
	}
}

// handle answers one packet into out; an empty out means no answer.
func (u *udpFrontend) handle(pkt []byte, from netip.AddrPort, out []byte, res *announceResult, scrape *[]scrapeEntry) []byte {
	ip := from.Addr().Unmap()
	if len(pkt) < udpHeaderLen || !u.l.allow(ip) {
		// Too short to answer, or a flood: answering would only help it.
		return out
	}
	req, err := ParseUDP(pkt)
	if err != nil {
		u.l.stats.failure(err)
		return appendUDPError(out, req.TxID, failureReason(err))
	}
	now := time.Now()
	if req.Action == ActionConnect {
		u.l.stats.connectsUDP.Add(1)
		return appendUDPConnect(out, req.TxID, u.ids.issue(ip, now))
	}
	if !u.ids.valid(req.ConnID, ip, now) {
		u.l.stats.badConnID.Add(1)
		return appendUDPError(out, req.TxID, "bad connection id")
	}
	passkey := passkeyFromURL(req.URLData)
	switch req.Action {
	case ActionAnnounce:
		u.l.stats.announcesUDP.Add(1)
		res.Peers4, res.Peers6 = res.Peers4[:0], res.Peers6[:0]
		res.prevSeen = 0
		a := &req.Announce
		// 1500-byte answers at most: 20 header + 200 v4 or 82 v6 peers.
		a.NumWant = min(a.NumWant, 200)
		if ip.Is6() {
			a.NumWant = min(a.NumWant, 82)
		}
		if err := u.l.announce(a, netip.AddrPortFrom(ip, a.Port), passkey, false, res); err != nil {
			return appendUDPError(out, req.TxID, failureReason(err))
		}
		return appendUDPAnnounce(out, req.TxID, res, int64(u.l.cfg.Interval/time.Second), ip.Is6())
	case ActionScrape:
		u.l.stats.scrapesUDP.Add(1)
		entries, err := u.l.scrape(req.InfoHashes, passkey, (*scrape)[:0])
		*scrape = entries
		if err != nil {
			return appendUDPError(out, req.TxID, failureReason(err))
		}
		return appendUDPScrape(out, req.TxID, entries)
	}
	return out
}

// passkeyFromURL finds a passkey in BEP 41 URL data: "/announce/KEY" or
// "...?passkey=KEY".
func passkeyFromURL(u string) string {
	if u == "" {
		return ""
	}
	path, query, _ := strings.Cut(u, "?")
	if k, ok := strings.CutPrefix(path, "/announce/"); ok && k != "" {
		return k
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if k, v, _ := strings.Cut(kv, "="); k == "passkey" {
			var scratch [maxPasskeyLen]byte
			b, ok := unescape(scratch[:0], v)
			if ok && len(b) <= maxPasskeyLen {
				return string(b)
			}
		}
	}
	return ""
}
