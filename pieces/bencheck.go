package pieces

import (
	"bytes"
	"errors"
	"fmt"
)

// maxBencodeDepth bounds list/dict nesting in anything we decode. A v1 info
// dict nests four deep (info → files → entry → path); a BEP 52 file tree one
// dict per path component (up to MaxPathDepth) plus the file's two; the
// slack is for extensions.
const maxBencodeDepth = MaxPathDepth + 8

// checkBencode verifies that b is exactly one well-formed bencode value with
// nesting at most maxDepth, canonical integers and no duplicate dict keys. It
// runs before the reflective decoder so that the decoder only ever sees input
// with one meaning: duplicate keys, for one, would let two clients read
// different files out of the same infohash.
func checkBencode(b []byte, maxDepth int) error {
	c := benChecker{b: b, maxDepth: maxDepth}
	if err := c.value(0); err != nil {
		return fmt.Errorf("bencode at offset %d: %w", c.off, err)
	}
	if c.off != len(b) {
		return fmt.Errorf("bencode: %d trailing bytes", len(b)-c.off)
	}
	return nil
}

type benChecker struct {
	b        []byte
	off      int
	maxDepth int
}

var errTruncated = errors.New("truncated")

func (c *benChecker) value(depth int) error {
	if c.off >= len(c.b) {
		return errTruncated
	}
	switch ch := c.b[c.off]; {
	case ch == 'i':
		c.off++
		return c.integer()
	case ch >= '0' && ch <= '9':
		_, err := c.str()
		return err
	case ch == 'l' || ch == 'd':
		if depth >= c.maxDepth {
			return fmt.Errorf("nested deeper than %d", c.maxDepth)
		}
		c.off++
		if ch == 'l' {
			return c.list(depth + 1)
		}
		return c.dict(depth + 1)
	default:
		return fmt.Errorf("unexpected byte %q", ch)
	}
}

func (c *benChecker) integer() error {
	end := bytes.IndexByte(c.b[c.off:], 'e')
	if end < 0 {
		return errTruncated
	}
	digits := c.b[c.off : c.off+end]
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
		if len(digits) == 1 && digits[0] == '0' {
			return errors.New("negative zero")
		}
	}
	if len(digits) == 0 || len(digits) > 19 {
		return errors.New("bad integer")
	}
	if digits[0] == '0' && len(digits) > 1 {
		return errors.New("integer with leading zero")
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return errors.New("bad integer")
		}
	}
	c.off += end + 1
	return nil
}

func (c *benChecker) str() ([]byte, error) {
	colon := bytes.IndexByte(c.b[c.off:], ':')
	if colon < 0 || colon > 10 {
		return nil, errors.New("bad string length")
	}
	digits := c.b[c.off : c.off+colon]
	if len(digits) == 0 || digits[0] == '0' && len(digits) > 1 {
		return nil, errors.New("bad string length")
	}
	n := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return nil, errors.New("bad string length")
		}
		n = n*10 + int(d-'0')
	}
	start := c.off + colon + 1
	if n > len(c.b)-start {
		return nil, errTruncated
	}
	c.off = start + n
	return c.b[start:c.off], nil
}

func (c *benChecker) list(depth int) error {
	for {
		if c.off >= len(c.b) {
			return errTruncated
		}
		if c.b[c.off] == 'e' {
			c.off++
			return nil
		}
		if err := c.value(depth); err != nil {
			return err
		}
	}
}

func (c *benChecker) dict(depth int) error {
	// Unsorted keys are tolerated (some old tools wrote them) but duplicates
	// never are. Sorted dicts, the norm, need only a compare with the
	// previous key; the set is built on the first out-of-order key.
	var keys [][]byte
	var seen map[string]bool
	for {
		if c.off >= len(c.b) {
			return errTruncated
		}
		if c.b[c.off] == 'e' {
			c.off++
			return nil
		}
		if ch := c.b[c.off]; ch < '0' || ch > '9' {
			return errors.New("dict key is not a string")
		}
		key, err := c.str()
		if err != nil {
			return err
		}
		if seen == nil && len(keys) > 0 && bytes.Compare(keys[len(keys)-1], key) >= 0 {
			seen = make(map[string]bool, len(keys))
			for _, k := range keys {
				seen[string(k)] = true
			}
		}
		if seen != nil {
			if seen[string(key)] {
				return fmt.Errorf("duplicate dict key %q", key)
			}
			seen[string(key)] = true
		} else {
			keys = append(keys, key)
		}
		if err := c.value(depth); err != nil {
			return err
		}
	}
}
