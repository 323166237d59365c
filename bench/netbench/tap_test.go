//go:build linux

package main

import (
	"encoding/binary"
	"slices"
	"testing"
)

// The tap finds every Piece message however the stream is cut into
// chunks, past the handshake, keep-alives and other messages.
func TestBlockTap(t *testing.T) {
	msg := func(id byte, payload []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
		return append(append(b, id), payload...)
	}
	piece := func(index, begin uint32, n int) []byte {
		p := binary.BigEndian.AppendUint32(nil, index)
		p = binary.BigEndian.AppendUint32(p, begin)
		return msg(7, append(p, make([]byte, n)...))
	}
	hs := append([]byte{19}, make([]byte, handshakeLen-1)...)
	var stream []byte
	stream = append(stream, hs...)
	stream = append(stream, msg(20, []byte("d1:md6:ut_pexi1eee"))...) // an extended handshake
	stream = append(stream, msg(0x0e, nil)...)                        // HaveAll
	stream = append(stream, 0, 0, 0, 0)                               // keep-alive
	stream = append(stream, piece(3, 16384, 16384)...)
	stream = append(stream, msg(4, []byte{0, 0, 0, 9})...) // Have
	stream = append(stream, piece(7, 0, 100)...)
	want := [][3]int{{3, 16384, 16384}, {7, 0, 100}}
	for _, cut := range []int{1, 3, 7, 13, 64, 1000, len(stream)} {
		var tap blockTap
		var got [][3]int
		for data := stream; len(data) > 0; {
			n := min(cut, len(data))
			tap.feed(data[:n], func(index, begin uint32, n int) { got = append(got, [3]int{int(index), int(begin), n}) })
			data = data[n:]
		}
		if !slices.Equal(got, want) {
			t.Errorf("in chunks of %d: blocks %v, want %v", cut, got, want)
		}
	}
	var tap blockTap
	tap.feed(append([]byte{0x8f}, stream[1:]...), func(uint32, uint32, int) { t.Error("a block read from a stream that is not plaintext BitTorrent") })
}
