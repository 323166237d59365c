package swarm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

// A metadata request's piece index is the peer's to choose. One that
// wraps around when turned into a byte offset must be refused, not sliced
// with (which would crash the torrent's goroutine and the process).
func TestMetadataChunk_HugeIndex(t *testing.T) {
	raw := bytes.Repeat([]byte{'x'}, 3*metadataPiece+5)
	for _, i := range []int{-1, 4, 1 << 50, 3 << 48, 1<<63 - 1, -1 << 63} {
		if c, ok := metadataChunk(raw, i); ok {
			t.Errorf("piece %d: got %d bytes, want a refusal", i, len(c))
		}
	}
	for i, want := range []int{metadataPiece, metadataPiece, metadataPiece, 5} {
		if c, ok := metadataChunk(raw, i); !ok || len(c) != want {
			t.Errorf("piece %d: %d bytes, %v; want %d", i, len(c), ok, want)
		}
	}
	if _, ok := metadataChunk(nil, 0); ok {
		t.Error("piece 0 of no metadata")
	}
}

// FuzzExtendedPayload feeds what follows an extended message's id to every
// decoder a peer can reach: the extended handshake, ut_metadata and
// ut_pex (the last two partly anacrolix's code, which has crashed on
// crafted input before elsewhere).
func FuzzExtendedPayload(f *testing.F) {
	hs, _ := bencode.Marshal(pp.ExtendedHandshakeMessage{M: map[pp.ExtensionName]pp.ExtensionNumber{"ut_metadata": 1, "ut_pex": 2}, MetadataSize: 40000, V: "shoal"})
	f.Add(hs, 40000)
	for _, piece := range []int{0, 2, 3 << 48} {
		req, _ := bencode.Marshal(pp.ExtendedMetadataRequestMsg{Piece: piece, Type: pp.RequestMetadataExtensionMsgType})
		f.Add(req, 40000)
	}
	f.Add([]byte("d8:msg_typei1e5:piecei0e10:total_sizei5eeabcde"), 5)
	f.Add([]byte("d5:added6:\x7f\x00\x00\x01\x1a\xe17:added.f1:\x00e"), 0)
	f.Add([]byte(fmt.Sprintf("d5:piecei%de8:msg_typei0ee", 1<<62)), 100)
	f.Fuzz(func(t *testing.T, payload []byte, rawLen int) {
		var h pp.ExtendedHandshakeMessage
		_ = bencode.Unmarshal(payload, &h)
		_, _ = pp.LoadPexMsg(payload)
		msg, rest, err := decodeMetadataMsg(payload)
		if err != nil {
			return
		}
		if len(rest) > len(payload) {
			t.Fatalf("rest of %d bytes from a %d-byte payload", len(rest), len(payload))
		}
		raw := make([]byte, min(max(rawLen, 0), maxMetadataLen))
		c, ok := metadataChunk(raw, msg.Piece)
		n := (len(raw) + metadataPiece - 1) / metadataPiece
		if ok != (msg.Piece >= 0 && msg.Piece < n) || len(c) > metadataPiece {
			t.Fatalf("piece %d of %d bytes: %d bytes, ok %v", msg.Piece, len(raw), len(c), ok)
		}
	})
}
