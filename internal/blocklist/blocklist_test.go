package blocklist

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParse_FormatsAndContains(t *testing.T) {
	l, err := Parse(strings.NewReader(`# comment
// another
10.0.0.0/8
192.168.1.7
Bad Org: with colons:001.002.003.004-1.2.3.10
172.16.0.1-172.16.0.3
172.16.0.4-172.16.0.9
2001:db8::/32
evil six:2001:db9::1-2001:db9::ff
::ffff:100.64.0.0/112
not an address
5.5.5.5-4.4.4.4
`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Bad != 2 || l.FirstBad != "not an address" || l.BadLine != 11 {
		t.Errorf("bad lines: %d, first %q at %d; want 2, \"not an address\" at 11", l.Bad, l.FirstBad, l.BadLine)
	}
	for _, tt := range []struct {
		addr string
		in   bool
	}{
		{"10.0.0.0", true}, {"10.255.255.255", true}, {"11.0.0.0", false}, {"9.255.255.255", false},
		{"192.168.1.7", true}, {"192.168.1.8", false},
		{"1.2.3.4", true}, {"1.2.3.10", true}, {"1.2.3.11", false}, {"1.2.3.3", false},
		{"172.16.0.1", true}, {"172.16.0.5", true}, {"172.16.0.9", true}, {"172.16.0.10", false},
		{"2001:db8::1", true}, {"2001:db8:ffff::1", true}, {"2001:db7::1", false},
		{"2001:db9::80", true}, {"2001:db9::100", false},
		{"::ffff:10.1.2.3", true}, {"100.64.255.255", true}, {"100.65.0.0", false},
		{"127.0.0.1", false}, {"::1", false},
	} {
		if got := l.Contains(netip.MustParseAddr(tt.addr)); got != tt.in {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.in)
		}
	}
	// 172.16.0.1-3 and 4-9 touch: one range.
	if l.Len() != 7 {
		t.Errorf("Len = %d, want 7 merged ranges:\n%s", l.Len(), l)
	}
}

func TestParse_LongLineFails(t *testing.T) {
	if _, err := Parse(strings.NewReader(strings.Repeat("x", MaxLineBytes+1))); err == nil {
		t.Error("a line over MaxLineBytes parsed")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8\n1.2.3.4\n", "org:1.2.3.4-1.2.3.9\n", "a:b:2001:db8::1-2001:db8::9\n",
		"::ffff:1.2.3.0/120\n", "# c\n\n1.1.1.1-1.1.1.1\n1.1.1.2-1.1.1.5\n", "0.0.0.0/0\n::/0\n", "::/80\n", "x\n1.2.3.4-1.2.3.3\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		rs := l.Ranges()
		for i, r := range rs {
			if !l.Contains(r.First) || !l.Contains(r.Last) {
				t.Fatalf("range %v-%v parsed but its ends are not contained", r.First, r.Last)
			}
			if r.Last.Less(r.First) || r.First.Is4() != r.Last.Is4() {
				t.Fatalf("range %v-%v is upside down or mixes families", r.First, r.Last)
			}
			if i > 0 && rs[i-1].First.Is4() == r.First.Is4() && !rs[i-1].Last.Next().Less(r.First) {
				t.Fatalf("ranges %v and %v overlap or touch: not merged", rs[i-1], r)
			}
			if p := r.First.Prev(); p.IsValid() && !p.Is4In6() && p.Is4() == r.First.Is4() && l.Contains(p) && (i == 0 || rs[i-1].Last != p) {
				t.Fatalf("%v, just below a range, is contained", p)
			}
		}
		again, err := Parse(strings.NewReader(l.String()))
		if err != nil || again.String() != l.String() || again.Bad != 0 {
			t.Fatalf("roundtrip: %v, %d bad\n%s\nvs\n%s", err, again.Bad, again, l)
		}
	})
}
