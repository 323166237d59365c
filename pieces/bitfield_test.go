package pieces

import (
	"bytes"
	"errors"
	"testing"
)

func TestBitfield(t *testing.T) {
	b := NewBitfield(10)
	b.Set(0)
	b.Set(9)
	if !b.Has(0) || !b.Has(9) || b.Has(1) || b.Has(10) || b.Has(-1) || b.Count() != 2 || b.All() {
		t.Fatalf("bitfield %08b", b.Bytes())
	}
	if got := b.Bytes(); !bytes.Equal(got, []byte{0x80, 0x40}) {
		t.Fatalf("wire bytes %08b", got)
	}
	c := b.Clone()
	c.Clear(0)
	if !b.Has(0) || c.Has(0) {
		t.Fatal("Clone shares storage")
	}
	for i := range 10 {
		b.Set(i)
	}
	if !b.All() || b.Count() != 10 {
		t.Fatal("not All after setting every bit")
	}
}

func TestBitfieldFromBytes(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		n    int
		ok   bool
	}{
		{"exact", []byte{0xff, 0xc0}, 10, true},
		{"spare bit", []byte{0xff, 0xe0}, 10, false},
		{"short", []byte{0xff}, 10, false},
		{"long", []byte{0xff, 0, 0}, 10, false},
		{"byte aligned", []byte{0xff}, 8, true},
		{"empty", nil, 0, true},
		{"negative", nil, -1, false},
	} {
		bf, err := BitfieldFromBytes(tt.b, tt.n)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadBitfield) {
			t.Errorf("%s: %v is not ErrBadBitfield", tt.name, err)
		}
		if err == nil && (bf.Len() != tt.n || !bytes.Equal(bf.Bytes(), tt.b)) {
			t.Errorf("%s: got %v len %d", tt.name, bf.Bytes(), bf.Len())
		}
	}
}

func TestBitfield_SetOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Set(8) on 8 bits did not panic")
		}
	}()
	NewBitfield(8).Set(8)
}
