package tracker

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// InfoHash is a v1 infohash (or a v2 one truncated to 20 bytes, BEP 52).
type InfoHash [20]byte

func (ih InfoHash) String() string { return hex.EncodeToString(ih[:]) }

// Event is what an announce says happened. The values are BEP 15's numbers.
type Event uint8

const (
	EventNone      Event = 0
	EventCompleted Event = 1
	EventStarted   Event = 2
	EventStopped   Event = 3
)

func (e Event) String() string {
	switch e {
	case EventCompleted:
		return "completed"
	case EventStarted:
		return "started"
	case EventStopped:
		return "stopped"
	}
	return ""
}

// Limits the parsers enforce so that no input can make them allocate much.
const (
	maxQueryLen     = 4096
	maxNumWant      = 1 << 16
	maxScrapeHashes = 100
	maxPasskeyLen   = 64
)

// AnnounceRequest is one announce as the peer sent it, over HTTP or UDP.
// It is comparable, so parser roundtrips can be checked with ==.
type AnnounceRequest struct {
	InfoHash   InfoHash
	PeerID     [20]byte
	Port       uint16
	Uploaded   uint64
	Downloaded uint64
	Left       uint64
	Event      Event
	NumWant    int32 // -1: the peer did not say; the tracker's default applies
	Compact    bool  // false only when the peer sent compact=0
	NoPeerID   bool
	IP         netip.Addr // the optional "ip" parameter; never trusted for storage
	Passkey    string     // from ?passkey=; a key in the path is the frontend's business
}

// Seeder reports whether the peer has the whole torrent.
func (r AnnounceRequest) Seeder() bool { return r.Left == 0 }

// ParseAnnounce parses the raw query string of an HTTP announce. It does not
// treat '+' as a space: info_hash and peer_id are binary and some clients
// send a literal '+'.
func ParseAnnounce(rawQuery string) (AnnounceRequest, error) {
	req := AnnounceRequest{NumWant: -1, Compact: true}
	if len(rawQuery) > maxQueryLen {
		return req, badRequest("query too long")
	}
	var haveHash, havePeer, havePort, haveLeft bool
	var scratch [64]byte
	for q := rawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "info_hash":
			ih, err := param20(v, "info_hash")
			if err != nil {
				return req, err
			}
			req.InfoHash, haveHash = ih, true
		case "peer_id":
			id, err := param20(v, "peer_id")
			if err != nil {
				return req, err
			}
			req.PeerID, havePeer = id, true
		case "port":
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil || n == 0 {
				return req, badRequest("invalid port")
			}
			req.Port = uint16(n)
			havePort = true
		case "uploaded":
			req.Uploaded = parseCount(v)
		case "downloaded":
			req.Downloaded = parseCount(v)
		case "left":
			// An unparsable left would silently make the peer a seeder, and a
			// negative one is no amount of bytes at all: refuse both rather
			// than guess. A client that does not know the size yet (a magnet
			// before its metadata) sends a large positive left, as anacrolix's
			// HTTP client and libtorrent do.
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return req, badRequest("invalid left")
			}
			if n < 0 {
				return req, badRequest("negative left")
			}
			req.Left = uint64(n)
			haveLeft = true
		case "event":
			switch v {
			case "started":
				req.Event = EventStarted
			case "stopped":
				req.Event = EventStopped
			case "completed":
				req.Event = EventCompleted
			default: // "", "empty", "paused" (BEP 21) and junk are regular announces
				req.Event = EventNone
			}
		case "numwant":
			n, err := strconv.ParseInt(v, 10, 64)
			switch {
			case err != nil || n < 0:
				req.NumWant = -1
			default:
				req.NumWant = int32(min(n, maxNumWant))
			}
		case "compact":
			req.Compact = v != "0"
		case "no_peer_id":
			req.NoPeerID = v == "1"
		case "ip":
			b, ok := unescape(scratch[:0], v)
			req.IP = netip.Addr{}
			if ok {
				if a, err := netip.ParseAddr(string(b)); err == nil && a.Zone() == "" {
					req.IP = a.Unmap()
				}
			}
		case "passkey":
			pk, err := passkeyParam(v)
			if err != nil {
				return req, err
			}
			req.Passkey = pk
		}
	}
	switch {
	case !haveHash:
		return req, badRequest("missing info_hash")
	case !havePeer:
		return req, badRequest("missing peer_id")
	case !havePort:
		return req, badRequest("missing port")
	case !haveLeft:
		return req, badRequest("missing left")
	}
	return req, nil
}

// parseCount reads uploaded/downloaded leniently: they are informational and
// some clients send negative or overflowing values.
func parseCount(v string) uint64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return uint64(n)
}

// Query renders r as a query string that ParseAnnounce reads back to r.
func (r AnnounceRequest) Query() string {
	b := make([]byte, 0, 256)
	b = append(b, "info_hash="...)
	b = escape(b, r.InfoHash[:])
	b = append(b, "&peer_id="...)
	b = escape(b, r.PeerID[:])
	b = append(b, "&port="...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, "&uploaded="...)
	b = strconv.AppendUint(b, min(r.Uploaded, 1<<63-1), 10)
	b = append(b, "&downloaded="...)
	b = strconv.AppendUint(b, min(r.Downloaded, 1<<63-1), 10)
	b = append(b, "&left="...)
	b = strconv.AppendUint(b, min(r.Left, 1<<63-1), 10)
	if r.Event != EventNone {
		b = append(b, "&event="...)
		b = append(b, r.Event.String()...)
	}
	if r.NumWant >= 0 {
		b = append(b, "&numwant="...)
		b = strconv.AppendInt(b, int64(r.NumWant), 10)
	}
	if !r.Compact {
		b = append(b, "&compact=0"...)
	}
	if r.NoPeerID {
		b = append(b, "&no_peer_id=1"...)
	}
	if r.IP.IsValid() {
		b = append(b, "&ip="...)
		b = escape(b, []byte(r.IP.String()))
	}
	if r.Passkey != "" {
		b = append(b, "&passkey="...)
		b = escape(b, []byte(r.Passkey))
	}
	return string(b)
}

// ScrapeRequest names the torrents a peer wants counts for.
type ScrapeRequest struct {
	InfoHashes []InfoHash
	Passkey    string
}

// ParseScrape parses the raw query string of an HTTP scrape (BEP 48).
func ParseScrape(rawQuery string) (ScrapeRequest, error) {
	var req ScrapeRequest
	if len(rawQuery) > maxQueryLen {
		return req, badRequest("query too long")
	}
	for q := rawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "info_hash":
			ih, err := param20(v, "info_hash")
			if err != nil {
				return req, err
			}
			if len(req.InfoHashes) == maxScrapeHashes {
				return req, badRequest("too many info_hash")
			}
			req.InfoHashes = append(req.InfoHashes, ih)
		case "passkey":
			pk, err := passkeyParam(v)
			if err != nil {
				return req, err
			}
			req.Passkey = pk
		}
	}
	return req, nil
}

// param20 decodes a binary 20-byte query value (info_hash, peer_id).
func param20(v, name string) ([20]byte, error) {
	var scratch [64]byte
	b, ok := unescape(scratch[:0], v)
	if !ok || len(b) != 20 {
		return [20]byte{}, badRequest(name + " must be 20 bytes")
	}
	return [20]byte(b), nil
}

func passkeyParam(v string) (string, error) {
	var scratch [64]byte
	b, ok := unescape(scratch[:0], v)
	if !ok || len(b) > maxPasskeyLen {
		return "", badRequest("invalid passkey")
	}
	return string(b), nil
}

// unescape percent-decodes s onto dst. It gives up on input longer than three
// times cap(dst), so a long value cannot grow the buffer much.
func unescape(dst []byte, s string) ([]byte, bool) {
	if len(s) > 3*cap(dst) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return nil, false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return nil, false
			}
			c = hi<<4 | lo
			i += 2
		}
		dst = append(dst, c)
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const hexDigits = "0123456789ABCDEF"

// escape percent-encodes everything but RFC 3986 unreserved bytes.
func escape(dst, b []byte) []byte {
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}
