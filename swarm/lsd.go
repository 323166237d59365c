package swarm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Local Service Discovery (BEP 14): peers on one link find each other by
// multicasting "BT-SEARCH" messages, a tiny HTTP-over-UDP request listing
// infohashes and the TCP port to connect to. This file is the wire format;
// lsd_run.go sends and receives it.

const (
	lsdGroup4 = "239.192.152.143:6771"
	lsdGroup6 = "[ff15::efc0:988f]:6771"
	// lsdMaxPacket bounds what we parse and what we send: it fits the
	// payload of one unfragmented packet on an ordinary 1500-byte link.
	lsdMaxPacket = 1400
	// lsdMaxInfoHashes bounds one message. With lsdMaxCookie it keeps any
	// message we accept re-encodable within lsdMaxPacket.
	lsdMaxInfoHashes = 24
	lsdMaxCookie     = 32
)

var errBadLSD = errors.New("swarm: bad LSD message")

// lsdMsg is one BT-SEARCH message.
type lsdMsg struct {
	Port       uint16
	InfoHashes []InfoHash // distinct, in message order
	Cookie     string     // tells a client its own messages apart; may be ""
}

func lsdError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadLSD, fmt.Sprintf(format, args...))
}

// parseLSD parses a BT-SEARCH message. It is lenient where clients differ
// (header case, bare \n line ends, unknown headers, infohash lines that are
// not 40 hex digits, which v2-aware clients may send) and strict about what
// we act on: a port in 1..65535 and 1..lsdMaxInfoHashes v1 infohashes.
func parseLSD(b []byte) (lsdMsg, error) {
	var m lsdMsg
	if len(b) > lsdMaxPacket {
		return m, lsdError("%d bytes", len(b))
	}
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	if string(bytes.TrimSuffix(line, []byte("\r"))) != "BT-SEARCH * HTTP/1.1" {
		return m, lsdError("not a BT-SEARCH request")
	}
	gotPort := false
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of headers; BEP 14 adds an empty body
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v := strings.Trim(string(value), " \t")
		switch strings.ToLower(strings.Trim(string(name), " \t")) {
		case "port":
			p, err := strconv.ParseUint(v, 10, 16)
			if err != nil || p == 0 {
				return m, lsdError("port %q", v)
			}
			m.Port, gotPort = uint16(p), true
		case "infohash":
			var ih InfoHash
			if len(v) != 2*len(ih) {
				continue
			}
			if _, err := hex.Decode(ih[:], []byte(v)); err != nil {
				continue
			}
			if !slices.Contains(m.InfoHashes, ih) {
				if len(m.InfoHashes) == lsdMaxInfoHashes {
					return m, lsdError("over %d infohashes", lsdMaxInfoHashes)
				}
				m.InfoHashes = append(m.InfoHashes, ih)
			}
		case "cookie":
			if len(v) > lsdMaxCookie {
				return m, lsdError("cookie of %d bytes", len(v))
			}
			m.Cookie = v
		}
	}
	if !gotPort {
		return m, lsdError("no port")
	}
	if len(m.InfoHashes) == 0 {
		return m, lsdError("no infohash")
	}
	return m, nil
}

// appendTo appends m as BEP 14 spells it for group (lsdGroup4 or
// lsdGroup6), including the Host header and the trailing empty lines some
// clients insist on.
func (m lsdMsg) appendTo(b []byte, group string) []byte {
	b = append(b, "BT-SEARCH * HTTP/1.1\r\nHost: "+group+"\r\nPort: "...)
	b = strconv.AppendUint(b, uint64(m.Port), 10)
	b = append(b, "\r\n"...)
	for _, ih := range m.InfoHashes {
		b = append(b, "Infohash: "...)
		b = hex.AppendEncode(b, ih[:])
		b = append(b, "\r\n"...)
	}
	if m.Cookie != "" {
		b = append(b, "cookie: "+m.Cookie+"\r\n"...)
	}
	return append(b, "\r\n\r\n"...)
}
