package pieces

import (
	"errors"
	"fmt"
	"math/bits"
)

// ErrBadBitfield is returned by BitfieldFromBytes for a wire bitfield of the
// wrong length or with spare bits set (BEP 3 says to drop such a peer).
var ErrBadBitfield = errors.New("bad bitfield")

// Bitfield is a set of pieces in BEP 3 wire order: bit 7 of byte 0 is piece
// 0. The zero value has length 0. Copies share storage; use Clone.
type Bitfield struct {
	b []byte
	n int
}

// NewBitfield returns an empty bitfield for n pieces.
func NewBitfield(n int) Bitfield {
	if n < 0 {
		panic("pieces: negative bitfield length")
	}
	return Bitfield{b: make([]byte, (n+7)/8), n: n}
}

// BitfieldFromBytes copies a wire bitfield for n pieces. It fails if b is
// not exactly ceil(n/8) bytes or any bit past n is set.
func BitfieldFromBytes(b []byte, n int) (Bitfield, error) {
	if n < 0 {
		return Bitfield{}, fmt.Errorf("%w: negative length %d", ErrBadBitfield, n)
	}
	if want := (n + 7) / 8; len(b) != want {
		return Bitfield{}, fmt.Errorf("%w: %d bytes, want %d for %d pieces", ErrBadBitfield, len(b), want, n)
	}
	if n%8 != 0 && b[len(b)-1]&(0xff>>(n%8)) != 0 {
		return Bitfield{}, fmt.Errorf("%w: spare bits set", ErrBadBitfield)
	}
	return Bitfield{b: append([]byte(nil), b...), n: n}, nil
}

// Len is the number of pieces.
func (b Bitfield) Len() int { return b.n }

// Has reports whether piece i is set; out of range is false.
func (b Bitfield) Has(i Index) bool {
	if i < 0 || i >= b.n {
		return false
	}
	return b.b[i>>3]&(0x80>>(i&7)) != 0
}

// Set marks piece i; it panics when i is out of range.
func (b Bitfield) Set(i Index) {
	b.check(i)
	b.b[i>>3] |= 0x80 >> (i & 7)
}

// Clear unmarks piece i; it panics when i is out of range.
func (b Bitfield) Clear(i Index) {
	b.check(i)
	b.b[i>>3] &^= 0x80 >> (i & 7)
}

func (b Bitfield) check(i Index) {
	if i < 0 || i >= b.n {
		panic(fmt.Sprintf("pieces: bit %d out of range [0,%d)", i, b.n))
	}
}

// Count is the number of pieces set.
func (b Bitfield) Count() int {
	c := 0
	for _, x := range b.b {
		c += bits.OnesCount8(x)
	}
	return c
}

// All reports whether every piece is set (true for a zero-length bitfield).
func (b Bitfield) All() bool { return b.Count() == b.n }

// Bytes returns a copy in wire format, spare bits zero.
func (b Bitfield) Bytes() []byte { return append([]byte(nil), b.b...) }

// Clone returns an independent copy.
func (b Bitfield) Clone() Bitfield { return Bitfield{b: append([]byte(nil), b.b...), n: b.n} }
