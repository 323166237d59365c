package pieces

import (
	"cmp"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxMagnetBytes bounds a magnet link; real ones are a few hundred bytes.
const maxMagnetBytes = 64 << 10

// Magnet is a BEP 9 magnet link for a v1 torrent.
type Magnet struct {
	InfoHash [20]byte
	Name     string   // dn: display name only, never a path
	Trackers []string // tr, in order
	Peers    []string // x.pe, host:port
	WebSeeds []string // ws (BEP 19): usable http(s) URLs only, in order
}

// ParseMagnet parses a magnet link. It needs exactly one v1 infohash (hex or
// base32 urn:btih; a btmh alongside it is ignored); x.pe values must be
// host:port with a numeric port. Errors wrap ErrBadMagnet.
func ParseMagnet(uri string) (*Magnet, error) {
	if len(uri) > maxMagnetBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBadMagnet, maxMagnetBytes)
	}
	rest, ok := strings.CutPrefix(uri, "magnet:?")
	if !ok {
		return nil, fmt.Errorf("%w: does not start with \"magnet:?\"", ErrBadMagnet)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMagnet, err)
	}
	m := &Magnet{}
	found := false
	var v2, foreign string // the first xt of each kind we cannot use
	for _, xt := range q["xt"] {
		enc, ok := strings.CutPrefix(xt, "urn:btih:")
		switch {
		case ok:
		case strings.HasPrefix(xt, "urn:btmh:"):
			v2 = cmp.Or(v2, xt)
			continue
		default:
			foreign = cmp.Or(foreign, xt)
			continue
		}
		ih, err := parseBTIH(enc)
		if err != nil {
			return nil, fmt.Errorf("%w: xt %q: %v", ErrBadMagnet, xt, err)
		}
		if found && ih != m.InfoHash {
			return nil, fmt.Errorf("%w: two different infohashes", ErrBadMagnet)
		}
		m.InfoHash, found = ih, true
	}
	switch {
	case found:
	case v2 != "":
		return nil, fmt.Errorf("%w: only a BitTorrent v2 infohash (urn:btmh:); v2-only magnets are not supported", ErrBadMagnet)
	case foreign != "":
		return nil, fmt.Errorf("%w: xt %q is not a BitTorrent infohash (want xt=urn:btih: and 40 hex digits)", ErrBadMagnet, foreign)
	default:
		return nil, fmt.Errorf("%w: no xt=urn:btih: infohash", ErrBadMagnet)
	}
	if dn := q["dn"]; len(dn) > 0 {
		if !utf8.ValidString(dn[0]) {
			return nil, fmt.Errorf("%w: dn is not valid UTF-8", ErrBadMagnet)
		}
		// dn is only shown, never used as a path; control characters could
		// rewrite the terminal that shows it, so they are dropped.
		m.Name = strings.Map(func(r rune) rune {
			if isControl(r) {
				return -1
			}
			return r
		}, dn[0])
	}
	for _, tr := range q["tr"] {
		if strings.ContainsFunc(tr, isControl) {
			return nil, fmt.Errorf("%w: tr %q has control characters", ErrBadMagnet, tr)
		}
		if tr != "" {
			m.Trackers = append(m.Trackers, tr)
		}
	}
	for _, pe := range q["x.pe"] {
		if strings.ContainsFunc(pe, isControl) {
			return nil, fmt.Errorf("%w: x.pe %q has control characters", ErrBadMagnet, pe)
		}
		if err := checkHostPort(pe); err != nil {
			return nil, fmt.Errorf("%w: x.pe %q: %v", ErrBadMagnet, pe, err)
		}
		m.Peers = append(m.Peers, pe)
	}
	m.WebSeeds = webSeeds(q["ws"])
	return m, nil
}

// isControl is C0, DEL and C1.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

func parseBTIH(s string) ([20]byte, error) {
	var ih [20]byte
	switch len(s) {
	case 40:
		if _, err := hex.Decode(ih[:], []byte(s)); err != nil {
			return ih, fmt.Errorf("bad hex: %v", err)
		}
	case 32:
		b, err := base32.StdEncoding.DecodeString(strings.ToUpper(s))
		if err != nil {
			return ih, fmt.Errorf("bad base32: %v", err)
		}
		copy(ih[:], b)
	default:
		return ih, fmt.Errorf("infohash is %d characters, want 40 (hex) or 32 (base32)", len(s))
	}
	return ih, nil
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("no host")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// String renders the link: xt, dn, then every tr, x.pe and ws in order. The
// infohash is lowercase hex.
func (m *Magnet) String() string {
	var b strings.Builder
	b.WriteString("magnet:?xt=urn:btih:")
	b.WriteString(hex.EncodeToString(m.InfoHash[:]))
	if m.Name != "" {
		b.WriteString("&dn=")
		b.WriteString(url.QueryEscape(m.Name))
	}
	for _, tr := range m.Trackers {
		b.WriteString("&tr=")
		b.WriteString(url.QueryEscape(tr))
	}
	for _, pe := range m.Peers {
		b.WriteString("&x.pe=")
		b.WriteString(url.QueryEscape(pe))
	}
	for _, ws := range m.WebSeeds {
		b.WriteString("&ws=")
		b.WriteString(url.QueryEscape(ws))
	}
	return b.String()
}
