package swarm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
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

// uploadLedger counts, per 16 KiB block of the payload, how often a
// session read it to upload, and notes the first block read twice while
// some block was never read.
type uploadLedger struct {
	mu       sync.Mutex
	pieceLen int
	count    []int
	unsent   int
	early    string // the first repeat before every block went out once
	bytes    int64
}

func newUploadLedger(size int64, pieceLen int) *uploadLedger {
	n := int((size + 16<<10 - 1) / (16 << 10))
	return &uploadLedger{pieceLen: pieceLen, count: make([]int, n), unsent: n}
}

func (l *uploadLedger) add(piece, begin, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes += int64(n)
	off := piece*l.pieceLen + begin
	for k := off / (16 << 10); k <= (off+n-1)/(16<<10); k++ {
		l.count[k]++
		switch {
		case l.count[k] == 1:
			l.unsent--
		case l.unsent > 0 && l.early == "":
			l.early = fmt.Sprintf("block %d (piece %d) went out again while %d blocks never had", k, k*(16<<10)/l.pieceLen, l.unsent)
		}
	}
}

// A super-seed (BEP 16) with four leechers that know each other: every
// leecher gets every byte, and the seed uploads no block twice before it
// uploaded every block once, so the leechers got the rest from each other.
// A normal seed breaks this at once: each leecher asks it for whatever it
// lacks, whoever else has it.
func TestSuperSeed_UploadsEachPieceOnceFirst(t *testing.T) {
	const pieceLen = 32 << 10
	src, root := payload(t, 161, testnet.File{Path: "a.bin", Size: 40*pieceLen + 4321}, testnet.File{Path: "b.bin", Size: 20*pieceLen - 77})
	tor := testnet.Create(t, root, pieceLen)
	seedS := testnet.StartSession(t, swarm.Config{})
	ledger := newUploadLedger(tor.Info.Length, pieceLen)
	swarm.SetUploadHook(seedS, ledger.add)
	ih, err := seedS.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, SuperSeed: true})
	if err != nil {
		t.Fatal(err)
	}

	const n = 4
	var leechers []*swarm.Session
	var addrs []string
	for range n {
		s := testnet.StartSession(t, swarm.Config{})
		leechers = append(leechers, s)
		addrs = append(addrs, s.Addr().String())
	}
	dirs := make([]string, n)
	for k, s := range leechers {
		peers := []string{seedS.Addr().String()}
		for j, a := range addrs {
			if j != k {
				peers = append(peers, a)
			}
		}
		dirs[k] = leech(t, s, swarm.AddOptions{Torrent: tor, Peers: peers})
	}
	for k, s := range leechers {
		testnet.WaitComplete(t, s, ih, 120*time.Second)
		testnet.SameTree(t, root, filepath.Join(dirs[k], "payload"))
	}

	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	if ledger.early != "" {
		t.Errorf("the super-seed sent a block twice before sending every block: %s", ledger.early)
	}
	if ledger.unsent != 0 {
		t.Errorf("%d blocks never went out from the seed, yet every leecher completed", ledger.unsent)
	}
	t.Logf("the seed uploaded %.2f copies of %d bytes", float64(ledger.bytes)/float64(tor.Info.Length), tor.Info.Length)
}

// superRaw connects a raw fast and extended peer to a super-seed, says it
// has nothing, and reads up to the seed's second Have (its two offers go
// out together): it returns the peer, the offered pieces, the types of
// the messages before the first Have, and whether an Unchoke came with
// the offers.
func superRaw(t *testing.T, s *swarm.Session, ih swarm.InfoHash, tor *pieces.Torrent, data []byte, id string) (p *rawPeer, offers []uint32, before []pp.MessageType, unchoked bool) {
	t.Helper()
	c := rawHandshake(t, s.Addr().String(), ih, resvFast|resvExtended, id)
	p = &rawPeer{c: c, r: bufio.NewReader(c), tor: tor, data: data}
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
	for len(offers) < 2 {
		typ, b, err := p.read()
		if err != nil {
			t.Fatalf("%s: no two offers from the seed: %v (got %v, then offers %v)", id, err, before, offers)
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
	return p, offers, before, unchoked
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
	_, root, data := onePayload(t, 163, "s.bin", 8*hostilePieceLen+100)
	tor := testnet.Create(t, root, hostilePieceLen)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: filepath.Dir(root), Trusted: true, SuperSeed: true})
	if err != nil {
		t.Fatal(err)
	}

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
	_, root, data := onePayload(t, 165, "u.bin", 8*hostilePieceLen)
	tor := testnet.Create(t, root, hostilePieceLen)
	s := testnet.StartSession(t, swarm.Config{UploadSlots: 1})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: filepath.Dir(root), Trusted: true, SuperSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"-XX0001-superrawAAAA", "-XX0001-superrawBBBB", "-XX0001-superrawCCCC"} {
		if _, offers, _, unchoked := superRaw(t, s, ih, tor, data, id); !unchoked {
			t.Errorf("%s, offered %v, was left choked (one upload slot)", id, offers)
		}
	}
}
