package swarm_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// edgeInts are the integers that find overflow and off-by-one bugs.
var edgeInts = []int64{0, 1, 2, 15, 16383, 16384, 16385, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32,
	3 << 48, 1 << 50, 1<<63 - 1, -1, -16384, -1 << 63}

func edgeInt(r *rand.Rand) int64 {
	if r.IntN(3) == 0 {
		return r.Int64N(1 << 20)
	}
	return edgeInts[r.IntN(len(edgeInts))]
}

func edge32(r *rand.Rand) uint32 { return uint32(edgeInt(r)) }

// randomMessage is one well-framed message of any type, with fields a
// careless parser would trust: the point is to reach the handlers, not to
// be cut off by the framing checks.
func randomMessage(r *rand.Rand, extIDs []byte) []byte {
	var body []byte
	switch r.IntN(20) {
	case 0, 1, 2, 3:
		body = []byte{byte(r.IntN(4))} // choke, unchoke, interested, not interested
	case 4:
		body = binary.BigEndian.AppendUint32([]byte{byte(pp.Have)}, edge32(r))
	case 5:
		b := make([]byte, r.IntN(40))
		for k := range b {
			b[k] = byte(r.Uint32())
		}
		body = append([]byte{byte(pp.Bitfield)}, b...)
	case 6, 7:
		typ := []pp.MessageType{pp.Request, pp.Cancel, pp.Reject}[r.IntN(3)]
		body = []byte{byte(typ)}
		for range 3 {
			body = binary.BigEndian.AppendUint32(body, edge32(r))
		}
	case 8:
		body = []byte{byte(pp.Piece)}
		body = binary.BigEndian.AppendUint32(body, edge32(r))
		body = binary.BigEndian.AppendUint32(body, edge32(r))
		body = append(body, make([]byte, r.IntN(3)*8192)...)
	case 9:
		body = binary.BigEndian.AppendUint16([]byte{byte(pp.Port)}, uint16(r.Uint32()))
	case 10:
		typ := []pp.MessageType{pp.Suggest, pp.AllowedFast}[r.IntN(2)]
		body = binary.BigEndian.AppendUint32([]byte{byte(typ)}, edge32(r))
	case 11:
		body = []byte{byte([]pp.MessageType{pp.HaveAll, pp.HaveNone}[r.IntN(2)])}
	default:
		id := byte(r.IntN(4))
		if len(extIDs) > 0 && r.IntN(2) == 0 {
			id = extIDs[r.IntN(len(extIDs))]
		}
		var payload string
		switch r.IntN(4) {
		case 0:
			payload = fmt.Sprintf("d1:md11:ut_metadatai%de6:ut_pexi%dee13:metadata_sizei%de1:pi%de1:v%d:%se",
				edgeInt(r), edgeInt(r), edgeInt(r), edgeInt(r), 5, "fuzzy")
		case 1:
			payload = fmt.Sprintf("d8:msg_typei%de5:piecei%de10:total_sizei%dee", r.IntN(4)-1, edgeInt(r), edgeInt(r))
			payload += string(make([]byte, r.IntN(2)*16384))
		case 2:
			addrs := make([]byte, 6*r.IntN(4))
			for k := range addrs {
				addrs[k] = byte(r.Uint32())
			}
			payload = fmt.Sprintf("d5:added%d:%s7:added.f%d:%se", len(addrs), addrs, len(addrs)/6, make([]byte, len(addrs)/6))
		default:
			b := make([]byte, r.IntN(64))
			for k := range b {
				b[k] = byte(r.Uint32())
			}
			payload = string(b)
		}
		body = append([]byte{byte(pp.Extended), id}, payload...)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// hostileSession connects to addr as a fresh peer and sends n random
// messages, reading (and dropping) whatever comes back. It returns how
// many it sent before the other side hung up, which is allowed.
func hostileSession(t *testing.T, addr string, ih swarm.InfoHash, r *rand.Rand, n int) int {
	c := rawHandshake(t, addr, ih, resvExtended|resvFast|resvDHT, fmt.Sprintf("-XX0001-%012d", r.Uint64()%1e12))
	defer c.Close()
	br := bufio.NewReader(c)
	if _, err := io.ReadFull(br, make([]byte, 68)); err != nil {
		return 0 // refused: banned or shutting the door, which is its right
	}
	go io.Copy(io.Discard, br)
	sent := 0
	w := bufio.NewWriter(c)
	if r.IntN(5) > 0 {
		// Mostly a sane extended handshake first, so that the extension
		// handlers behind it are reached before some violation ends the
		// connection.
		hs := fmt.Sprintf("d1:md11:ut_metadatai%de6:ut_pexi%dee13:metadata_sizei%dee", 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(1<<16))
		b := append([]byte{byte(pp.Extended), 0}, hs...)
		w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
	}
	for range n {
		if _, err := w.Write(randomMessage(r, []byte{1, 2, 3})); err != nil {
			break
		}
		sent++
		if r.IntN(8) == 0 && w.Flush() != nil {
			break
		}
	}
	w.Flush()
	return sent
}

// TestHostileLeecher_RandomMessages throws random, well-framed messages
// with edge-case fields at a seed, at a magnet leecher still fetching
// metadata and at a leecher with the .torrent. None may crash, and all
// must still do their job for an honest peer afterwards.
// SHOAL_HOSTILE_ROUNDS runs more rounds (soak).
func TestHostileLeecher_RandomMessages(t *testing.T) {
	t.Parallel()
	rounds := 40
	if s := os.Getenv("SHOAL_HOSTILE_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	seedN := uint64(time.Now().UnixNano())
	t.Logf("random seed %d (set SHOAL_HOSTILE_SEED to repeat)", seedN)
	if s := os.Getenv("SHOAL_HOSTILE_SEED"); s != "" {
		seedN, _ = strconv.ParseUint(s, 10, 64)
	}
	r := rand.New(rand.NewPCG(seedN, 7))

	src, root := payload(t, 43, testnet.File{Path: "r.bin", Size: 300_000})
	tor := testnet.Create(t, root, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{})
	// A magnet leecher that knows no honest peer yet: all it hears is noise.
	m := testnet.StartSession(t, swarm.Config{})
	mdst := t.TempDir()
	mag, err := pieces.ParseMagnet(tor.Magnet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(t.Context(), swarm.AddOptions{Magnet: mag, Dir: mdst}); err != nil {
		t.Fatal(err)
	}
	// And a leecher with the .torrent, whose picker hears the noise.
	tl := testnet.StartSession(t, swarm.Config{})
	tldst := leech(t, tl, swarm.AddOptions{Torrent: tor})
	for range rounds {
		hostileSession(t, s.Addr().String(), ih, r, 50)
		hostileSession(t, m.Addr().String(), ih, r, 50)
		hostileSession(t, tl.Addr().String(), ih, r, 50)
	}
	// Both still work: the battered seed serves a new leecher, and the
	// magnet leecher finishes once an honest seed dials it.
	testnet.WaitFor(t, s, ih, 5*time.Second, "the seed still seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding
	})
	l := testnet.StartSession(t, swarm.Config{})
	ldst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(ldst, "payload"))
	s2 := testnet.StartSession(t, swarm.Config{})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{m.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, m, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(mdst, "payload"))
	s3 := testnet.StartSession(t, swarm.Config{})
	if _, err := s3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{tl.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, tl, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(tldst, "payload"))
}
