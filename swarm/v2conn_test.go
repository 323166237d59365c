package swarm

import (
	"testing"

	"github.com/shoal-bt/shoal/pieces"
)

// TestV2Conn_WhoTakesHashMessages: a v2-only torrent's connections all
// speak BEP 52; a hybrid's when named by its v2 infohash, or when we
// dialled under the v1 name and the answer has the reserved bit; a v1
// torrent's never. The handshake bit itself goes out for torrents with a
// v2 half only, as libtorrent sends it.
func TestV2Conn_WhoTakesHashMessages(t *testing.T) {
	v1, v2 := [20]byte{1}, pieces.Hash32{2}
	bit := [8]byte{7: 0x10}
	info := func(hasV1, hasV2 bool) *pieces.Info {
		in := &pieces.Info{}
		if hasV1 {
			in.Hashes = [][20]byte{{}}
		}
		if hasV2 {
			in.MetaVersion = 2
		}
		return in
	}
	v1Only := &torrent{opts: AddOptions{Torrent: &pieces.Torrent{InfoHash: v1, Info: info(true, false)}}}
	hybrid := &torrent{opts: AddOptions{Torrent: &pieces.Torrent{InfoHash: v1, InfoHashV2: v2, Info: info(true, true)}}}
	v2Only := &torrent{opts: AddOptions{Magnet: &pieces.Magnet{InfoHash: pieces.Truncated(v2), InfoHashV2: v2, V2Only: true}}}
	alias := InfoHash(pieces.Truncated(v2))
	for _, tc := range []struct {
		name     string
		t        *torrent
		as       InfoHash
		reserved [8]byte
		incoming bool
		want     bool
	}{
		{"v1 torrent, bit set", v1Only, v1, bit, false, false},
		{"hybrid by v2 name", hybrid, alias, [8]byte{}, true, true},
		{"hybrid by v1 name, dialled, answer has the bit", hybrid, v1, bit, false, true},
		{"hybrid by v1 name, dialled, no bit", hybrid, v1, [8]byte{}, false, false},
		{"hybrid by v1 name, incoming with the bit", hybrid, v1, bit, true, false},
		{"v2-only, no bit", v2Only, alias, [8]byte{}, true, true},
	} {
		if got := tc.t.v2Conn(tc.as, tc.reserved, tc.incoming); got != tc.want {
			t.Errorf("%s: v2Conn %v, want %v", tc.name, got, tc.want)
		}
	}
	if supportsV2(reservedBits(false, v1Only.hasV2())) || !supportsV2(reservedBits(false, hybrid.hasV2())) ||
		!supportsV2(reservedBits(true, v2Only.hasV2())) {
		t.Errorf("the BEP 52 bit goes out for a v1 torrent, or not for a hybrid or v2-only one")
	}
}
