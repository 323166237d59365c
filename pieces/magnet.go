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

// Magnet is a BEP 9 magnet link: v1 (xt=urn:btih:), v2 (BEP 52,
// xt=urn:btmh:1220...) or hybrid (both).
type Magnet struct {
	// InfoHash is the swarm's identity on the wire: the btih, or for a
	// v2-only link the v2 infohash truncated to 20 bytes.
	InfoHash   [20]byte
	InfoHashV2 Hash32   // the btmh's SHA-256; zero when the link has none
	V2Only     bool     // no btih: InfoHash is Truncated(InfoHashV2)
	Name       string   // dn: display name only, never a path
	Trackers   []string // tr, in order
	Peers      []string // x.pe, host:port
	WebSeeds   []string // ws (BEP 19): usable http(s) URLs only, in order
	// Select is so (BEP 53): the numbers of the files to download, sorted
	// and distinct; nil means every file.
	Select []int
}

// ParseMagnet parses a magnet link. It needs a v1 infohash (hex or base32
// urn:btih), a v2 one (urn:btmh: and the multihash of a SHA-256, "1220"
// and 64 hex digits), or both; repeats must agree. x.pe values must be
// host:port with a numeric port; so (BEP 53) a file list as ParseFileList
// reads it. Errors wrap ErrBadMagnet.
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
	found, foundV2 := false, false
	var foreign string // the first xt we cannot use
	for _, xt := range q["xt"] {
		if enc, ok := strings.CutPrefix(xt, "urn:btmh:"); ok {
			h, err := parseBTMH(enc)
			if err != nil {
				return nil, fmt.Errorf("%w: xt %q: %v", ErrBadMagnet, xt, err)
			}
			if foundV2 && h != m.InfoHashV2 {
				return nil, fmt.Errorf("%w: two different v2 infohashes", ErrBadMagnet)
			}
			m.InfoHashV2, foundV2 = h, true
			continue
		}
		enc, ok := strings.CutPrefix(xt, "urn:btih:")
		if !ok {
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
	case foundV2:
		m.InfoHash, m.V2Only = Truncated(m.InfoHashV2), true
	case foreign != "":
		return nil, fmt.Errorf("%w: xt %q is not a BitTorrent infohash (want xt=urn:btih: and 40 hex digits)", ErrBadMagnet, foreign)
	default:
		return nil, fmt.Errorf("%w: no xt=urn:btih: or xt=urn:btmh: infohash", ErrBadMagnet)
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
	if so := q["so"]; len(so) > 0 {
		// Several so= parameters are one list, as one with commas.
		sel, err := ParseFileList(strings.Join(so, ","))
		if err != nil {
			return nil, fmt.Errorf("%w: so %q: %w", ErrBadMagnet, strings.Join(so, ","), err)
		}
		m.Select = sel
	}
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

// parseBTMH reads a btmh: a multihash, of which BEP 52 uses only SHA-256
// (code 0x12, length 0x20), in hex.
func parseBTMH(s string) (Hash32, error) {
	var h Hash32
	mh, ok := strings.CutPrefix(strings.ToLower(s), "1220")
	if !ok {
		return h, fmt.Errorf("not a SHA-256 multihash (want 1220 and 64 hex digits)")
	}
	if len(mh) != 64 {
		return h, fmt.Errorf("SHA-256 is %d hex digits, want 64", len(mh))
	}
	if _, err := hex.Decode(h[:], []byte(mh)); err != nil {
		return h, fmt.Errorf("bad hex: %v", err)
	}
	return h, nil
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

// String renders the link: xt (btih, then btmh), dn, then every tr, x.pe
// and ws in order, then so. Infohashes are lowercase hex.
func (m *Magnet) String() string {
	var b strings.Builder
	b.WriteString("magnet:?")
	if !m.V2Only {
		b.WriteString("xt=urn:btih:")
		b.WriteString(hex.EncodeToString(m.InfoHash[:]))
	}
	if m.V2Only || m.InfoHashV2 != (Hash32{}) {
		if !m.V2Only {
			b.WriteString("&")
		}
		b.WriteString("xt=urn:btmh:1220")
		b.WriteString(hex.EncodeToString(m.InfoHashV2[:]))
	}
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
	if m.Select != nil {
		b.WriteString("&so=")
		b.WriteString(FormatFileList(m.Select))
	}
	return b.String()
}
