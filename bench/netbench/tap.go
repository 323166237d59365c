//go:build linux

package main

import "encoding/binary"

// blockTap reads the Piece messages out of one connection's stream from
// a peer, so a meter can tell the blocks it sends for the first time from
// those it sends again. It knows the plaintext wire only: a stream that
// does not open with a BitTorrent handshake (MSE) is not read.
type blockTap struct {
	skip   int // bytes to pass before the next header: the handshake, a payload
	head   [13]byte
	have   int // bytes of head filled
	off    bool
	opened bool
}

const handshakeLen = 68

// feed reads data and calls block for each Piece message's block, when
// its header has passed.
func (t *blockTap) feed(data []byte, block func(index, begin uint32, n int)) {
	if !t.opened {
		t.opened = true
		if len(data) == 0 || data[0] != 19 {
			t.off = true
		}
		t.skip = handshakeLen
	}
	for len(data) > 0 && !t.off {
		if t.skip > 0 {
			n := min(t.skip, len(data))
			t.skip -= n
			data = data[n:]
			continue
		}
		// A header: the length, then for a message the id, and for a
		// Piece its index and begin.
		need := 4
		if t.have >= 4 && binary.BigEndian.Uint32(t.head[:4]) > 0 {
			need = 5
			if t.have >= 5 && t.head[4] == 7 {
				need = 13
			}
		}
		if t.have < need {
			n := copy(t.head[t.have:need], data)
			t.have += n
			data = data[n:]
			continue
		}
		size := int(binary.BigEndian.Uint32(t.head[:4]))
		switch {
		case size == 0: // keep-alive
		case t.head[4] == 7:
			if size < 9 {
				t.off = true
				return
			}
			block(binary.BigEndian.Uint32(t.head[5:9]), binary.BigEndian.Uint32(t.head[9:13]), size-9)
			t.skip = size - 9
		default:
			t.skip = size - 1
		}
		t.have = 0
	}
}
