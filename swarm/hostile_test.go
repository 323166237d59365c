package swarm_test

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Misbehaving peers written against the raw wire, each meeting a real
// leecher that also knows one honest (rate-limited) seed. The leecher must
// finish from the honest seed, cut the bad peer off (and ban it where the
// behaviour cannot be an accident), and waste under two piece lengths on it.

const hostilePieceLen = 16 << 10

// rawPeer is one accepted connection of a hostile peer, past the handshake.
type rawPeer struct {
	c    net.Conn
	r    *bufio.Reader
	tor  *pieces.Torrent
	data []byte // the payload, to send real bytes under wrong headers
	ext  map[string]int
}

func (p *rawPeer) send(typ pp.MessageType, payload []byte) error {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
	b = append(b, byte(typ))
	_, err := p.c.Write(append(b, payload...))
	return err
}

// read returns the next message's type and payload (type -1: keep-alive).
func (p *rawPeer) read() (int, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return -1, nil, nil
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("message of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		return 0, nil, err
	}
	if b[0] == byte(pp.Extended) && len(b) > 1 && b[1] == 0 {
		var h pp.ExtendedHandshakeMessage
		if bencode.Unmarshal(b[2:], &h) == nil {
			p.ext = map[string]int{}
			for k, v := range h.M {
				p.ext[string(k)] = int(v)
			}
		}
	}
	return int(b[0]), b[1:], nil
}

// nextRequest reads until the leecher sends a request and returns it.
func (p *rawPeer) nextRequest() (i, begin, length uint32, err error) {
	for {
		typ, b, err := p.read()
		if err != nil {
			return 0, 0, 0, err
		}
		if typ == int(pp.Request) {
			return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), nil
		}
	}
}

func (p *rawPeer) piece(i, begin, length uint32) []byte {
	off := int64(i)*p.tor.Info.PieceLength + int64(begin)
	b := binary.BigEndian.AppendUint32(nil, i)
	b = binary.BigEndian.AppendUint32(b, begin)
	return append(b, p.data[off:off+int64(length)]...)
}

// drainUntilClosed reads (and ignores) until the leecher closes the
// connection, which is what "cut off" means from the peer's side.
func (p *rawPeer) drainUntilClosed() error {
	for {
		if _, _, err := p.read(); err != nil {
			return err
		}
	}
}

// hostile listens on loopback; the leecher dials it. behave runs per
// connection after the handshake; cut counts connections the leecher
// closed, conns all connections accepted.
type hostile struct {
	addr        string
	conns, cuts atomic.Int32
}

func startHostile(t *testing.T, tor *pieces.Torrent, data []byte, behave func(p *rawPeer) error) *hostile {
	t.Helper()
	return startHostileBits(t, tor, data, 0, behave)
}

// startHostileBits is startHostile with more bits in the last reserved
// byte of its handshake (0x10: BEP 52).
func startHostileBits(t *testing.T, tor *pieces.Torrent, data []byte, reserved7 byte, behave func(p *rawPeer) error) *hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{addr: ln.Addr().String()}
	done := make(chan struct{})
	var mu sync.Mutex
	var open []net.Conn
	var wg sync.WaitGroup
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				var hs [68]byte
				if _, err := io.ReadFull(c, hs[:]); err != nil {
					return
				}
				var reserved [8]byte
				reserved[5] |= 0x10             // extension protocol
				reserved[7] |= 0x04 | reserved7 // fast, and what the test adds
				var id [20]byte
				copy(id[:], "-XX0001-")
				rand.Read(id[8:])
				reply := append([]byte("\x13BitTorrent protocol"), reserved[:]...)
				reply = append(reply, hs[28:48]...)
				if _, err := c.Write(append(reply, id[:]...)); err != nil {
					return
				}
				p := &rawPeer{c: c, r: bufio.NewReader(c), tor: tor, data: data}
				var ne net.Error
				if err := behave(p); err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
					h.cuts.Add(1) // the leecher hung up on us
				}
			})
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		// Behaviours end when their connection does: none outlives the test.
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return h
}

type hostileCase struct {
	name   string
	ban    bool // the behaviour cannot be an accident
	behave func(p *rawPeer) error
}

// wantsAll claims every piece and unchokes, so the leecher requests from it.
func wantsAll(p *rawPeer) error {
	if err := p.send(pp.HaveAll, nil); err != nil {
		return err
	}
	return p.send(pp.Unchoke, nil)
}

func hostileCases() []hostileCase {
	return []hostileCase{
		{name: "wrong piece index", ban: true, behave: func(p *rawPeer) error {
			if err := wantsAll(p); err != nil {
				return err
			}
			n := uint32(p.tor.Info.NumPieces())
			for {
				i, begin, length, err := p.nextRequest()
				if err != nil {
					return err
				}
				// The right bytes under an index past the last piece.
				hdr := binary.BigEndian.AppendUint32(nil, i+n)
				hdr = binary.BigEndian.AppendUint32(hdr, begin)
				if err := p.send(pp.Piece, append(hdr, p.piece(i, begin, length)[8:]...)); err != nil {
					return err
				}
			}
		}},
		{name: "corrupt blocks", ban: true, behave: func(p *rawPeer) error {
			if err := wantsAll(p); err != nil {
				return err
			}
			for {
				i, begin, length, err := p.nextRequest()
				if err != nil {
					return err
				}
				msg := p.piece(i, begin, length)
				for k := 8; k < len(msg); k++ {
					msg[k] ^= 0x5a
				}
				if err := p.send(pp.Piece, msg); err != nil {
					return err
				}
			}
		}},
		{name: "unrequested blocks", ban: true, behave: func(p *rawPeer) error {
			// Claims nothing, so it is never asked, and pushes blocks anyway.
			if err := p.send(pp.HaveNone, nil); err != nil {
				return err
			}
			for i := range uint32(p.tor.Info.NumPieces()) {
				if err := p.send(pp.Piece, p.piece(i, 0, blockOf(p.tor, int(i)))); err != nil {
					return err
				}
			}
			return p.drainUntilClosed()
		}},
		{name: "oversized message", ban: true, behave: func(p *rawPeer) error {
			if err := wantsAll(p); err != nil {
				return err
			}
			go p.drainUntilClosed()
			hdr := binary.BigEndian.AppendUint32(nil, 64<<20)
			hdr = append(hdr, byte(pp.Bitfield))
			if _, err := p.c.Write(hdr); err != nil {
				return err
			}
			junk := make([]byte, 64<<10)
			for range 1024 { // 64 MiB if nobody stops us
				if _, err := p.c.Write(junk); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "keep-alive flood", behave: func(p *rawPeer) error {
			go p.drainUntilClosed()
			ka := make([]byte, 4*1024)
			for range 100_000 {
				if _, err := p.c.Write(ka); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "piece index out of range in have", ban: true, behave: func(p *rawPeer) error {
			if err := p.send(pp.HaveNone, nil); err != nil {
				return err
			}
			if err := p.send(pp.Have, binary.BigEndian.AppendUint32(nil, 1<<30)); err != nil {
				return err
			}
			return p.drainUntilClosed()
		}},
	}
}

func blockOf(tor *pieces.Torrent, i int) uint32 {
	return uint32(min(int64(16<<10), tor.Info.PieceSize(i)))
}

func TestHostile_PeersCutOffTransferCompletes(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, root, data := onePayload(t, 31, "h.bin", 1<<20)
			tor := testnet.Create(t, root, hostilePieceLen)
			// The honest seed is slow enough that the bad peer has its go.
			honest, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 512 << 10})
			bad := startHostile(t, tor, data, tc.behave)
			l := testnet.StartSession(t, swarm.Config{})
			dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{bad.addr, honest.Addr().String()}})
			ts := testnet.WaitComplete(t, l, ih, 40*time.Second)
			testnet.SameTree(t, root, filepath.Join(dst, "payload"))
			deadline := time.Now().Add(10 * time.Second)
			for bad.cuts.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if bad.conns.Load() == 0 {
				t.Fatal("the leecher never connected to the bad peer")
			}
			if bad.cuts.Load() == 0 {
				t.Errorf("bad peer never cut off")
			}
			banned := slices.ContainsFunc(ts.Banned, func(b swarm.BannedPeer) bool { return b.Addr == bad.addr })
			if tc.ban && !banned {
				t.Errorf("bad peer not banned; banned = %+v", ts.Banned)
			}
			if banned && bad.conns.Load() > 1 {
				t.Errorf("banned peer connected %d times", bad.conns.Load())
			}
			for _, b := range ts.Banned {
				if b.Addr != bad.addr {
					t.Errorf("honest peer banned: %+v", b)
				}
			}
			if ts.Wasted > 2*hostilePieceLen {
				t.Errorf("wasted %d bytes on one bad peer, want at most %d (two pieces)", ts.Wasted, 2*hostilePieceLen)
			}
			t.Logf("wasted %d bytes; bad peer connected %d times, cut %d", ts.Wasted, bad.conns.Load(), bad.cuts.Load())
		})
	}
}

// A peer that claims every piece, unchokes and then never sends a byte must
// not hold the download hostage.
func TestHostile_LyingBitfieldDoesNotStall(t *testing.T) {
	t.Parallel()
	src, root, data := onePayload(t, 32, "l.bin", 1<<20)
	tor := testnet.Create(t, root, hostilePieceLen)
	honest, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 1 << 20})
	bad := startHostile(t, tor, data, func(p *rawPeer) error {
		if err := wantsAll(p); err != nil {
			return err
		}
		return p.drainUntilClosed()
	})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{bad.addr, honest.Addr().String()}})
	ts := testnet.WaitComplete(t, l, ih, 40*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if bad.conns.Load() == 0 {
		t.Fatal("the leecher never connected to the liar")
	}
	if ts.Wasted > 2*hostilePieceLen {
		t.Errorf("wasted %d bytes, want at most %d", ts.Wasted, 2*hostilePieceLen)
	}
}

// A magnet peer that answers ut_metadata with garbage of the right length
// must be banned; the metadata comes from the honest seed.
func TestHostile_BadMetadataPieceBanned(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 33, testnet.File{Path: "m.bin", Size: 512 << 10})
	tor := testnet.Create(t, root, hostilePieceLen)
	ih := swarm.InfoHash(tor.InfoHash)
	size := len(tor.InfoBytes)
	bad := startHostile(t, tor, nil, func(p *rawPeer) error {
		hs, _ := bencode.Marshal(map[string]any{"m": map[string]int{"ut_metadata": 3}, "metadata_size": size})
		if err := p.send(pp.Extended, append([]byte{0}, hs...)); err != nil {
			return err
		}
		if err := p.send(pp.HaveAll, nil); err != nil {
			return err
		}
		for {
			typ, b, err := p.read()
			if err != nil {
				return err
			}
			if typ != int(pp.Extended) || len(b) < 1 || b[0] == 0 || p.ext == nil {
				continue
			}
			var req pp.ExtendedMetadataRequestMsg
			if bencode.Unmarshal(b[1:], &req) != nil || req.Type != pp.RequestMetadataExtensionMsgType {
				continue
			}
			n := min(16<<10, size-req.Piece*16<<10)
			hdr, _ := bencode.Marshal(pp.ExtendedMetadataRequestMsg{Piece: req.Piece, Type: pp.DataMetadataExtensionMsgType, TotalSize: size})
			garbage := make([]byte, n)
			rand.Read(garbage)
			if err := p.send(pp.Extended, append(append([]byte{byte(p.ext["ut_metadata"])}, hdr...), garbage...)); err != nil {
				return err
			}
		}
	})
	l := testnet.StartSession(t, swarm.Config{})
	m := &pieces.Magnet{InfoHash: ih, Peers: []string{bad.addr}}
	dst := leech(t, l, swarm.AddOptions{Magnet: m})
	// Only the liar at first: its metadata must fail and get it banned.
	testnet.WaitFor(t, l, ih, 20*time.Second, "the metadata liar banned", func(ts swarm.TorrentSnapshot) bool {
		return slices.ContainsFunc(ts.Banned, func(b swarm.BannedPeer) bool { return b.Addr == bad.addr })
	})
	// Then an honest seed comes to the leecher and the download completes.
	hs := testnet.StartSession(t, swarm.Config{})
	if _, err := hs.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{l.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
