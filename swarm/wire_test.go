package swarm

import (
	"bytes"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

func TestWire_RoundTrip(t *testing.T) {
	var b []byte
	b = appendSimple(b, pp.Unchoke)
	b = appendIndex(b, pp.Have, 7)
	b = appendRequest(b, pp.Request, 1, 16384, 16384)
	b = appendPieceHeader(b, 2, 0, 3)
	b = append(b, 'a', 'b', 'c')
	b = appendPayload(b, pp.Bitfield, []byte{0xf0})
	b = appendExtended(b, 3, []byte("d1:ai1ee"))
	b = append(b, 0, 0, 0, 0) // keepalive
	// Our encoders agree with peer_protocol's.
	ref, _ := pp.Message{Type: pp.Request, Index: 1, Begin: 16384, Length: 16384}.MarshalBinary()
	if !bytes.Contains(b, ref) {
		t.Fatal("request encoding differs from peer_protocol")
	}
	r := newMsgReader(bytes.NewReader(b))
	want := []func(m message) bool{
		func(m message) bool { return m.Type == pp.Unchoke },
		func(m message) bool { return m.Type == pp.Have && m.Index == 7 },
		func(m message) bool {
			return m.Type == pp.Request && m.Index == 1 && m.Begin == 16384 && m.Length == 16384
		},
		func(m message) bool {
			return m.Type == pp.Piece && m.Index == 2 && string((*m.Block)[:m.Length]) == "abc"
		},
		func(m message) bool { return m.Type == pp.Bitfield && bytes.Equal(m.Payload, []byte{0xf0}) },
		func(m message) bool { return m.Type == pp.Extended && m.ExtID == 3 && string(m.Payload) == "d1:ai1ee" },
		func(m message) bool { return m.Keepalive },
	}
	for k, ok := range want {
		m, err := r.read()
		if err != nil || !ok(m) {
			t.Fatalf("message %d: %+v, %v", k, m, err)
		}
	}
	if _, err := r.read(); err == nil {
		t.Fatal("read past the end")
	}
}

func TestWire_RejectsBadLengths(t *testing.T) {
	for name, b := range map[string][]byte{
		"huge":        {0xff, 0, 0, 0, byte(pp.Bitfield)},
		"short have":  {0, 0, 0, 2, byte(pp.Have), 1},
		"big piece":   appendPieceHeader(nil, 0, 0, blockSize+1),
		"empty ext":   {0, 0, 0, 1, byte(pp.Extended)},
		"long choke":  {0, 0, 0, 2, byte(pp.Choke), 0},
		"short piece": {0, 0, 0, 5, byte(pp.Piece), 0, 0, 0, 0},
	} {
		if _, err := newMsgReader(bytes.NewReader(b)).read(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzReadMessage feeds arbitrary bytes to the message reader: it may
// reject them but must not panic, hang or return an oversized block.
func FuzzReadMessage(f *testing.F) {
	f.Add(appendRequest(nil, pp.Request, 1, 2, 3))
	f.Add(append(appendPieceHeader(nil, 1, 0, 4), 1, 2, 3, 4))
	f.Add(appendExtended(nil, 0, []byte("d1:md11:ut_metadatai1eee")))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newMsgReader(bytes.NewReader(b))
		for range 100 {
			m, err := r.read()
			if err != nil {
				return
			}
			if m.Block != nil {
				if m.Length > blockSize {
					t.Fatalf("block of %d bytes", m.Length)
				}
				putBlock(m.Block)
			}
		}
	})
}
