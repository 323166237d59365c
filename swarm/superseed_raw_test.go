package swarm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Super-seeding on the raw wire: what a peer sees of a super-seed.

// startSuperSeed starts a session super-seeding a payload of size bytes
// (onePayload's seed and name) in pieces of hostilePieceLen.
func startSuperSeed(t *testing.T, seed uint64, name string, size int, cfg swarm.Config) (*swarm.Session, swarm.InfoHash, *pieces.Torrent, []byte) {
	t.Helper()
	_, root, data := onePayload(t, seed, name, size)
	tor := testnet.Create(t, root, hostilePieceLen)
	s := testnet.StartSession(t, cfg)
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: filepath.Dir(root), Trusted: true, SuperSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, ih, tor, data
}

// superRaw connects a raw fast and extended peer to a super-seed, says it
// has nothing, and reads up to the seed's second Have (its two offers go
// out together): it returns the peer, the offered pieces, the types of
// the messages before the first Have, and whether an Unchoke came with
// the offers.
func superRaw(t *testing.T, s *swarm.Session, ih swarm.InfoHash, tor *pieces.Torrent, data []byte, id string) (p *rawPeer, offers []uint32, before []pp.MessageType, unchoked bool) {
	t.Helper()
	p = superDial(t, s, ih, tor, data, id)
	offers, before, unchoked = p.readOffers(t, nil)
	return p, offers, before, unchoked
}

// superDial connects a raw fast and extended peer and says it has nothing.
func superDial(t *testing.T, s *swarm.Session, ih swarm.InfoHash, tor *pieces.Torrent, data []byte, id string) *rawPeer {
	t.Helper()
	c := rawHandshake(t, s.Addr().String(), ih, resvFast|resvExtended, id)
	p := &rawPeer{c: c, r: bufio.NewReader(c), tor: tor, data: data}
	if _, err := io.ReadFull(p.r, make([]byte, 68)); err != nil {
		t.Fatalf("no handshake from the seed: %v", err)
	}
	ext, _ := bencode.Marshal(pp.ExtendedHandshakeMessage{M: map[pp.ExtensionName]pp.ExtensionNumber{pp.ExtensionNameMetadata: 3}})
	if err := p.send(pp.Extended, append([]byte{0}, ext...)); err != nil {
		t.Fatal(err)
	}
	if err := p.send(pp.HaveNone, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// readOffers reads up to the seed's second Have; before are the types
// read earlier (by the caller, then here) up to the first.
func (p *rawPeer) readOffers(t *testing.T, before []pp.MessageType) (offers []uint32, _ []pp.MessageType, unchoked bool) {
	t.Helper()
	for len(offers) < 2 {
		typ, b, err := p.read()
		if err != nil {
			t.Fatalf("no two offers from the seed: %v (got %v, then offers %v)", err, before, offers)
		}
		switch {
		case typ == int(pp.Have):
			offers = append(offers, binary.BigEndian.Uint32(b))
		case typ == int(pp.Unchoke):
			unchoked = true
		case typ >= 0 && len(offers) == 0:
			before = append(before, pp.MessageType(typ))
		}
	}
	return offers, before, unchoked
}

// request asks for block 0 of piece i (pieces here are one block).
func (p *rawPeer) request(t *testing.T, i uint32) {
	t.Helper()
	req := binary.BigEndian.AppendUint32(nil, i)
	req = binary.BigEndian.AppendUint32(req, 0)
	req = binary.BigEndian.AppendUint32(req, uint32(p.tor.Info.PieceSize(int(i))))
	if err := p.send(pp.Request, req); err != nil {
		t.Fatal(err)
	}
}

// On the wire a super-seed looks like a leecher: HaveNone, no bitfield, no
// HaveAll. It offers each peer two pieces (Haves) that it offered nobody
// else, with an unchoke; it rejects requests for any other piece, serves
// the offered ones, and offers another only once one of them was seen at
// another peer.
func TestSuperSeed_RawPeersTwoOffersAtATime(t *testing.T) {
	s, ih, tor, data := startSuperSeed(t, 163, "s.bin", 8*hostilePieceLen+100, swarm.Config{})

	a, offersA, before, unchoked := superRaw(t, s, ih, tor, data, "-XX0001-superrawAAAA")
	for _, typ := range before {
		if typ == pp.Bitfield || typ == pp.HaveAll {
			t.Fatalf("the super-seed advertised its pieces: %v before its first Have", before)
		}
	}
	if !slices.Contains(before, pp.HaveNone) {
		t.Errorf("no HaveNone to a fast peer before the first offer: %v", before)
	}
	if !unchoked {
		t.Errorf("A was not unchoked with its offers")
	}
	b, offersB, _, _ := superRaw(t, s, ih, tor, data, "-XX0001-superrawBBBB")
	offered := append(slices.Clone(offersA), offersB...)
	slices.Sort(offered)
	if len(slices.Compact(offered)) != 4 {
		t.Fatalf("offers overlap: A %v, B %v", offersA, offersB)
	}

	// A's requests: one for B's piece (rejected), one for its first offer
	// (served); no third offer meanwhile.
	a.request(t, offersB[0])
	a.request(t, offersA[0])
	for served, rejected := false, false; !served || !rejected; {
		typ, m, err := a.read()
		if err != nil {
			t.Fatalf("reading from the seed: %v", err)
		}
		switch pp.MessageType(typ) {
		case pp.Have:
			t.Fatalf("a third offer (piece %d) while A had none of %v", binary.BigEndian.Uint32(m), offersA)
		case pp.Reject:
			if i := binary.BigEndian.Uint32(m); i != offersB[0] {
				t.Fatalf("rejected piece %d; A was offered %v", i, offersA)
			}
			rejected = true
		case pp.Piece:
			i := binary.BigEndian.Uint32(m)
			if i != offersA[0] {
				t.Fatalf("served piece %d, which A was not offered (its offers: %v)", i, offersA)
			}
			off := tor.Info.PieceOffset(int(i))
			if !bytes.Equal(m[8:], data[off:off+tor.Info.PieceSize(int(i))]) {
				t.Fatalf("piece %d: not the payload's bytes", i)
			}
			served = true
		}
	}

	// A has its first piece, but nobody else does: no new offer. The
	// metadata request after the Have is answered by the same goroutine,
	// after it.
	if err := a.send(pp.Have, binary.BigEndian.AppendUint32(nil, offersA[0])); err != nil {
		t.Fatal(err)
	}
	a.metadataAsk(t)
	for {
		typ, m, err := a.read()
		if err != nil {
			t.Fatalf("reading from the seed: %v", err)
		}
		if typ == int(pp.Have) {
			t.Fatalf("a new offer (piece %d) while A's piece %d was at A only", binary.BigEndian.Uint32(m), offersA[0])
		}
		if typ == int(pp.Extended) && len(m) > 0 && m[0] == 3 {
			break
		}
	}

	// B has it too (so it says): A's piece spread, A gets a new one.
	if err := b.send(pp.Have, binary.BigEndian.AppendUint32(nil, offersA[0])); err != nil {
		t.Fatal(err)
	}
	for {
		typ, m, err := a.read()
		if err != nil {
			t.Fatalf("no new offer after B had A's piece: %v", err)
		}
		if typ == int(pp.Have) {
			if i := binary.BigEndian.Uint32(m); slices.Contains(offered, i) {
				t.Fatalf("A's new offer is piece %d, offered before (A %v, B %v)", i, offersA, offersB)
			}
			break
		}
	}
}

// metadataAsk sends a ut_metadata request for piece 0: the seed's torrent
// goroutine answers it after whatever it was sent before.
func (p *rawPeer) metadataAsk(t *testing.T) {
	t.Helper()
	theirs := byte(p.ext[string(pp.ExtensionNameMetadata)])
	if theirs == 0 {
		t.Fatalf("seed offers no ut_metadata: %v", p.ext)
	}
	if err := p.send(pp.Extended, append([]byte{theirs}, "d8:msg_typei0e5:piecei0ee"...)); err != nil {
		t.Fatal(err)
	}
}

// A super-seed unchokes every peer it makes offers to, with the offers,
// above its upload slots: each may take only its offered pieces, and one
// kept waiting for a slot (until the next 2 s choke round) held up its
// pieces' spread; with 50 leechers the seed used 0.5 MB/s of an 8 MB/s
// uplink.
func TestSuperSeed_UnchokesEveryOfferedPeer(t *testing.T) {
	s, ih, tor, data := startSuperSeed(t, 165, "u.bin", 8*hostilePieceLen, swarm.Config{UploadSlots: 1})
	for _, id := range []string{"-XX0001-superrawAAAA", "-XX0001-superrawBBBB", "-XX0001-superrawCCCC"} {
		if _, offers, _, unchoked := superRaw(t, s, ih, tor, data, id); !unchoked {
			t.Errorf("%s, offered %v, was left choked (one upload slot)", id, offers)
		}
	}
}

// Peers connected to a magnet's super-seed before it had the info heard
// HaveNone; once the info arrives and the data on disk is found whole,
// each gets its two offers, nothing advertised, no piece offered twice.
// Joining the first used to offer pieces to the others before they had
// joined, and the seed's goroutine panicked.
func TestSuperSeed_PeersConnectedBeforeTheInfo(t *testing.T) {
	src, root, data := onePayload(t, 167, "c.bin", 8*hostilePieceLen)
	tor := testnet.Create(t, root, hostilePieceLen)
	if len(tor.InfoBytes) > 16<<10 {
		t.Fatalf("info of %d bytes: the metadata peer sends one piece", len(tor.InfoBytes))
	}
	mag, err := pieces.ParseMagnet(tor.Magnet())
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	meta := serveMetadataAfter(t, tor.InfoHash, tor.InfoBytes, gate)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Magnet: mag, Dir: src, SuperSeed: true, Peers: []string{meta}})
	if err != nil {
		t.Fatal(err)
	}
	var peers []*rawPeer
	var befores [][]pp.MessageType
	for _, id := range []string{"-XX0001-superrawAAAA", "-XX0001-superrawBBBB"} {
		p := superDial(t, s, ih, tor, data, id)
		var before []pp.MessageType
		for !slices.Contains(before, pp.HaveNone) { // the seed added it: its first message
			typ, _, err := p.read()
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if typ >= 0 {
				before = append(before, pp.MessageType(typ))
			}
		}
		peers, befores = append(peers, p), append(befores, before)
	}
	open()
	seen := map[uint32]bool{}
	for k, p := range peers {
		offers, before, _ := p.readOffers(t, befores[k])
		for _, typ := range before {
			if typ == pp.Bitfield || typ == pp.HaveAll {
				t.Errorf("peer %d: the super-seed advertised its pieces: %v before its first Have", k, before)
			}
		}
		for _, i := range offers {
			if seen[i] {
				t.Errorf("piece %d offered twice", i)
			}
			seen[i] = true
		}
	}
}

// An offer a peer does not ask for within the patience (a piece it does
// not want) goes to another peer; one it asked for stays its own, and no
// peer is offered the same piece twice.
func TestSuperSeed_UntakenOffersGoToOthers(t *testing.T) {
	swarm.SetSuperPatience(200 * time.Millisecond)
	t.Cleanup(func() { swarm.SetSuperPatience(30 * time.Second) })
	s, ih, tor, data := startSuperSeed(t, 169, "o.bin", 8*hostilePieceLen, swarm.Config{})
	a, offersA, _, _ := superRaw(t, s, ih, tor, data, "-XX0001-superrawAAAA")
	// A asks for its first piece (and says nothing when it has it).
	a.request(t, offersA[0])
	for {
		typ, _, err := a.read()
		if err != nil {
			t.Fatalf("reading from the seed: %v", err)
		}
		if typ == int(pp.Piece) {
			break
		}
	}
	b, offersB, _, _ := superRaw(t, s, ih, tor, data, "-XX0001-superrawBBBB")
	told := map[uint32]bool{offersB[0]: true, offersB[1]: true}
	for {
		typ, m, err := b.read()
		if err != nil {
			t.Fatalf("B was never offered A's untaken piece %d: %v", offersA[1], err)
		}
		if typ != int(pp.Have) {
			continue
		}
		i := binary.BigEndian.Uint32(m)
		switch {
		case i == offersA[0]:
			t.Fatalf("B was offered piece %d, which A asked for", i)
		case told[i]:
			t.Fatalf("B was offered piece %d twice", i)
		case i == offersA[1]:
			return
		}
		told[i] = true
	}
}
