package tracker

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
)

// The HTTP answers are written by hand rather than through a bencode
// encoder: they are the hot path, their keys are fixed, and appending to a
// pooled buffer costs no allocation. Keys are in bencode's sorted order.

func appendInt(b []byte, key string, n int64) []byte {
	b = strconv.AppendInt(b, int64(len(key)), 10)
	b = append(b, ':')
	b = append(b, key...)
	b = append(b, 'i')
	b = strconv.AppendInt(b, n, 10)
	return append(b, 'e')
}

func appendString(b []byte, s []byte) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// appendAnnounceHTTP writes a BEP 3 announce response: compact (BEP 23) with
// IPv6 peers in peers6 (BEP 7), or the original list of dictionaries.
func appendAnnounceHTTP(b []byte, res *announceResult, interval, minInterval int64, compact bool) []byte {
	b = append(b, 'd')
	b = appendInt(b, "complete", int64(res.Complete))
	b = appendInt(b, "downloaded", int64(min(res.Downloaded, 1<<63-1)))
	b = appendInt(b, "incomplete", int64(res.Incomplete))
	b = appendInt(b, "interval", interval)
	b = appendInt(b, "min interval", minInterval)
	if compact {
		b = append(b, "5:peers"...)
		b = appendString(b, res.Peers4)
		if len(res.Peers6) > 0 {
			b = append(b, "6:peers6"...)
			b = appendString(b, res.Peers6)
		}
		return append(b, 'e')
	}
	b = append(b, "5:peersl"...)
	b = appendPeerDicts(b, res.Peers4, 6)
	b = appendPeerDicts(b, res.Peers6, 18)
	return append(b, "ee"...)
}

func appendPeerDicts(b, compact []byte, size int) []byte {
	for off := 0; off+size <= len(compact); off += size {
		p := compact[off : off+size]
		ip, _ := netip.AddrFromSlice(p[:size-2])
		b = append(b, "d2:ip"...)
		b = appendString(b, []byte(ip.String()))
		b = appendInt(b, "port", int64(binary.BigEndian.Uint16(p[size-2:])))
		b = append(b, 'e')
	}
	return b
}

// appendFailure writes the only kind of answer a refused peer gets.
func appendFailure(b []byte, reason string) []byte {
	b = append(b, "d14:failure reason"...)
	b = appendString(b, []byte(reason))
	return append(b, 'e')
}

type scrapeEntry struct {
	ih InfoHash
	ScrapeStats
}

// appendScrapeHTTP writes a BEP 48 scrape response. entries are sorted and
// deduplicated in place, since bencode dictionaries must be.
func appendScrapeHTTP(b []byte, entries []scrapeEntry) []byte {
	slices.SortFunc(entries, func(x, y scrapeEntry) int { return bytes.Compare(x.ih[:], y.ih[:]) })
	entries = slices.CompactFunc(entries, func(x, y scrapeEntry) bool { return x.ih == y.ih })
	b = append(b, "d5:filesd"...)
	for _, e := range entries {
		b = appendString(b, e.ih[:])
		b = append(b, 'd')
		b = appendInt(b, "complete", int64(e.Complete))
		b = appendInt(b, "downloaded", int64(min(e.Downloaded, 1<<63-1)))
		b = appendInt(b, "incomplete", int64(e.Incomplete))
		b = append(b, 'e')
	}
	return append(b, "ee"...)
}

// BEP 15 responses.

func appendUDPHeader(b []byte, action UDPAction, txID uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(action))
	return binary.BigEndian.AppendUint32(b, txID)
}

func appendUDPConnect(b []byte, txID uint32, connID uint64) []byte {
	b = appendUDPHeader(b, ActionConnect, txID)
	return binary.BigEndian.AppendUint64(b, connID)
}

func appendUDPAnnounce(b []byte, txID uint32, res *announceResult, interval int64, v6 bool) []byte {
	b = appendUDPHeader(b, ActionAnnounce, txID)
	b = binary.BigEndian.AppendUint32(b, uint32(interval))
	b = binary.BigEndian.AppendUint32(b, uint32(min(res.Incomplete, 1<<31-1)))
	b = binary.BigEndian.AppendUint32(b, uint32(min(res.Complete, 1<<31-1)))
	if v6 {
		return append(b, res.Peers6...)
	}
	return append(b, res.Peers4...)
}

func appendUDPScrape(b []byte, txID uint32, entries []scrapeEntry) []byte {
	b = appendUDPHeader(b, ActionScrape, txID)
	for _, e := range entries {
		b = binary.BigEndian.AppendUint32(b, uint32(min(e.Complete, 1<<31-1)))
		b = binary.BigEndian.AppendUint32(b, uint32(min(e.Downloaded, 1<<31-1)))
		b = binary.BigEndian.AppendUint32(b, uint32(min(e.Incomplete, 1<<31-1)))
	}
	return b
}

func appendUDPError(b []byte, txID uint32, msg string) []byte {
	b = appendUDPHeader(b, ActionError, txID)
	return append(b, msg...)
}
