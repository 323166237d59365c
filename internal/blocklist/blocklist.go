// Package blocklist reads IP blocklists and answers whether an address is
// on one. It reads the formats people download: one entry a line, each a
// CIDR range (10.0.0.0/8, 2001:db8::/32), a single address, a range
// "FIRST-LAST", or the P2P plaintext format "description:FIRST-LAST"
// (as PeerGuardian, Transmission and qBittorrent read). Blank lines and
// lines starting with # or // are comments.
//
// A List is immutable once parsed, so any number of goroutines may ask it.
package blocklist

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// MaxLineBytes bounds one line; a longer one makes Parse fail (no
// blocklist has such lines: the file is something else).
const MaxLineBytes = 4096

// Range is an inclusive range of addresses of one family.
type Range struct{ First, Last netip.Addr }

// List is a parsed blocklist: sorted, merged ranges per family.
type List struct {
	v4, v6 []Range
	// Bad counts lines that were neither entries nor comments; FirstBad
	// is the first of them, for the message a user sees.
	Bad      int
	FirstBad string
	BadLine  int
}

// Parse reads a blocklist. Lines it cannot read are counted in Bad and
// skipped: downloaded lists often carry a few. It fails only on a read
// error or a line over MaxLineBytes.
func Parse(r io.Reader) (*List, error) {
	l := &List{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, MaxLineBytes), MaxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		rg, ok := ParseLine(line)
		if !ok {
			l.bad(n, line)
			continue
		}
		if rg.First.Is4() {
			l.v4 = append(l.v4, rg)
			continue
		}
		l.v6 = append(l.v6, rg)
		// Contains asks about IPv4-mapped addresses as IPv4, so the part
		// of an IPv6 range in ::ffff:0:0/96 is an IPv4 range too.
		if lo, hi := max6(rg.First, mappedFirst), min6(rg.Last, mappedLast); !hi.Less(lo) {
			l.v4 = append(l.v4, Range{lo.Unmap(), hi.Unmap()})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("blocklist line %d: %w", n+1, err)
	}
	l.v4, l.v6 = merge(l.v4), merge(l.v6)
	return l, nil
}

var (
	mappedFirst = netip.MustParseAddr("::ffff:0.0.0.0")
	mappedLast  = netip.MustParseAddr("::ffff:255.255.255.255")
)

func max6(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return b
	}
	return a
}

func min6(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return a
	}
	return b
}

func (l *List) bad(n int, line string) {
	if l.Bad == 0 {
		l.FirstBad, l.BadLine = line, n
		if len(l.FirstBad) > 80 {
			l.FirstBad = l.FirstBad[:80] + "…"
		}
	}
	l.Bad++
}

// ParseLine reads one entry: CIDR, address, FIRST-LAST or
// description:FIRST-LAST.
func ParseLine(s string) (Range, bool) {
	if rg, ok := parseRange(s); ok {
		return rg, true
	}
	// P2P: the description may hold colons itself, and an IPv6 range
	// does too, so try each colon until what follows is a range.
	for i := strings.IndexByte(s, ':'); i >= 0; {
		if rg, ok := parseRange(strings.TrimSpace(s[i+1:])); ok {
			return rg, true
		}
		j := strings.IndexByte(s[i+1:], ':')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return Range{}, false
}

func parseRange(s string) (Range, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Range{}, false
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr())).Masked()
		if !p.IsValid() {
			return Range{}, false
		}
		return Range{p.Addr(), lastOf(p)}, true
	}
	first, last, isRange := strings.Cut(s, "-")
	a, err := parseAddr(first)
	if err != nil {
		return Range{}, false
	}
	if !isRange {
		return Range{a.Unmap(), a.Unmap()}, true
	}
	b, err := parseAddr(last)
	if err != nil || a.Is4() != b.Is4() {
		return Range{}, false
	}
	if a.Is4In6() && b.Is4In6() {
		a, b = a.Unmap(), b.Unmap()
	}
	if b.Less(a) {
		return Range{}, false
	}
	return Range{a, b}, true
}

func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// parseAddr reads an address; P2P lists often zero-pad IPv4 (001.002.003.004).
func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil && strings.Count(s, ".") == 3 && !strings.Contains(s, ":") {
		parts := strings.Split(s, ".")
		for i, p := range parts {
			if t := strings.TrimLeft(p, "0"); len(p) <= 3 {
				if t == "" {
					t = "0"
				}
				parts[i] = t
			}
		}
		a, err = netip.ParseAddr(strings.Join(parts, "."))
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	return a, nil
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// merge sorts ranges and joins those that overlap or touch.
func merge(rs []Range) []Range {
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Or(a.First.Compare(b.First), a.Last.Compare(b.Last)) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			prev := &out[n-1]
			if !prev.Last.Less(r.First) || r.First == prev.Last.Next() {
				if prev.Last.Less(r.Last) {
					prev.Last = r.Last
				}
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// Contains says whether a is in a range of the list.
func (l *List) Contains(a netip.Addr) bool {
	if l == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	rs := l.v6
	if a.Is4() {
		rs = l.v4
	}
	i, _ := slices.BinarySearchFunc(rs, a, func(r Range, a netip.Addr) int {
		if r.Last.Less(a) {
			return -1
		}
		if a.Less(r.First) {
			return 1
		}
		return 0
	})
	return i < len(rs) && !a.Less(rs[i].First) && !rs[i].Last.Less(a)
}

// Ranges returns the merged ranges, IPv4 first.
func (l *List) Ranges() []Range { return append(slices.Clone(l.v4), l.v6...) }

// Len is the number of merged ranges.
func (l *List) Len() int { return len(l.v4) + len(l.v6) }

// String writes the list back in the FIRST-LAST format, one range a
// line; Parse reads it to the same List.
func (l *List) String() string {
	var b strings.Builder
	for _, r := range l.Ranges() {
		fmt.Fprintf(&b, "%s-%s\n", r.First, r.Last)
	}
	return b.String()
}
