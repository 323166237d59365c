package pieces

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/anacrolix/torrent/bencode"
)

// Web seeds (BEP 19) are advisory: a .torrent's url-list and a magnet's ws=
// values that cannot be used are dropped, never fatal, and every byte a web
// seed serves is hash-checked like a peer's.
const (
	maxWebSeeds     = 32   // more is a list of mirrors nobody needs all of
	maxWebSeedBytes = 2048 // a URL longer than this is not a mirror
)

// urlList is BEP 19's url-list: a single string or a list of strings.
// Anything else, and entries of any other type, are skipped: the field is
// advisory, and ignore_unmarshal_type_error does not cover an Unmarshaler.
type urlList []string

var _ bencode.Unmarshaler = (*urlList)(nil)

func (l *urlList) UnmarshalBencode(b []byte) error {
	*l = nil
	if len(b) == 0 {
		return nil
	}
	if b[0] != 'l' {
		var s string
		if bencode.Unmarshal(b, &s) == nil {
			*l = urlList{s}
		}
		return nil
	}
	var items []bencode.Bytes
	if bencode.Unmarshal(b, &items) != nil {
		return nil
	}
	for _, it := range items {
		var s string
		if bencode.Unmarshal(it, &s) == nil {
			*l = append(*l, s)
		}
	}
	return nil
}

// CheckWebSeed says why u cannot be a web seed: it must be an absolute
// http or https URL with a host, no user info, no query or fragment and no
// control characters.
func CheckWebSeed(u string) error {
	switch {
	case u == "":
		return fmt.Errorf("empty URL")
	case len(u) > maxWebSeedBytes:
		return fmt.Errorf("over %d bytes", maxWebSeedBytes)
	case strings.ContainsFunc(u, isControl):
		return fmt.Errorf("has control characters")
	}
	p, err := url.Parse(u)
	if err != nil {
		return err
	}
	switch {
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("scheme %q: want http or https", p.Scheme)
	case p.Host == "" || p.Hostname() == "":
		return fmt.Errorf("no host")
	case p.User != nil:
		return fmt.Errorf("has user info; web seeds are fetched without credentials")
	case p.RawQuery != "" || p.ForceQuery || p.Fragment != "" || strings.Contains(u, "#"):
		return fmt.Errorf("has a query or fragment; BEP 19 appends the file path to the URL")
	}
	return nil
}

// webSeeds keeps the usable URLs of list, in order, without repeats, at
// most maxWebSeeds.
func webSeeds(list []string) []string {
	var out []string
	for _, u := range list {
		if len(out) == maxWebSeeds {
			break
		}
		if CheckWebSeed(u) == nil && !contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
