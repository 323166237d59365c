package swarm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Reserved bits a raw peer may claim in its handshake.
const (
	resvExtended = 1 << (5*8 + 4) // byte 5, 0x10: BEP 10
	resvFast     = 1 << (7*8 + 2) // byte 7, 0x04: BEP 6
	resvDHT      = 1 << (7 * 8)   // byte 7, 0x01: BEP 5
)

// rawHandshake connects to a shoal session at addr as a raw peer of ih and
// sends our handshake with the given reserved bits (resv*) and peer id.
// The connection is closed when the test ends.
func rawHandshake(t *testing.T, addr string, ih swarm.InfoHash, bits uint64, id string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v (is the peer still alive?)", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	var reserved [8]byte
	for k := range reserved {
		reserved[k] = byte(bits >> (8 * k))
	}
	hs := append([]byte("\x13BitTorrent protocol"), reserved[:]...)
	hs = append(hs, ih[:]...)
	hs = append(hs, fmt.Sprintf("%-20.20s", id)...)
	if _, err := c.Write(hs); err != nil {
		t.Fatal(err)
	}
	return c
}

// A leecher may ask a seed for any ut_metadata piece index. One so large
// that index*16 KiB wraps around once crashed the seed's process; now it
// gets a reject and the seed goes on serving.
func TestHostileLeecher_HugeMetadataIndex(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 41, testnet.File{Path: "m.bin", Size: 100_000})
	tor := testnet.Create(t, root, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{})

	c := rawHandshake(t, s.Addr().String(), ih, resvExtended, "-XX0001-hostileleech")
	p := &rawPeer{c: c, r: bufio.NewReader(c), tor: tor}
	var back [68]byte
	if _, err := p.r.Read(back[:1]); err != nil {
		t.Fatalf("no handshake from the seed: %v", err)
	}
	if _, err := p.r.Discard(67); err != nil {
		t.Fatal(err)
	}
	ext, _ := bencode.Marshal(pp.ExtendedHandshakeMessage{M: map[pp.ExtensionName]pp.ExtensionNumber{pp.ExtensionNameMetadata: 3}})
	if err := p.send(pp.Extended, append([]byte{0}, ext...)); err != nil {
		t.Fatal(err)
	}
	// Wait for the seed's extended handshake: it names its ut_metadata id.
	for p.ext == nil {
		if _, _, err := p.read(); err != nil {
			t.Fatalf("no extended handshake from the seed: %v", err)
		}
	}
	theirs := byte(p.ext[string(pp.ExtensionNameMetadata)])
	if theirs == 0 {
		t.Fatalf("seed offers no ut_metadata: %v", p.ext)
	}
	ask := func(piece int) pp.ExtendedMetadataRequestMsg {
		t.Helper()
		req := fmt.Appendf([]byte{theirs}, "d8:msg_typei0e5:piecei%dee", piece)
		if err := p.send(pp.Extended, req); err != nil {
			t.Fatal(err)
		}
		for {
			typ, b, err := p.read()
			if err != nil {
				t.Fatalf("asking for metadata piece %d: %v (did the seed crash?)", piece, err)
			}
			if typ != int(pp.Extended) || len(b) < 2 || b[0] != 3 {
				continue
			}
			var m pp.ExtendedMetadataRequestMsg
			if err := bencode.NewDecoder(bytes.NewReader(b[1:])).Decode(&m); err != nil {
				t.Fatalf("reply to piece %d: %v", piece, err)
			}
			return m
		}
	}
	for _, huge := range []int{3 << 48, 1 << 50, 1<<63 - 1} {
		if m := ask(huge); m.Type != pp.RejectMetadataExtensionMsgType {
			t.Errorf("piece %d: reply type %d, want a reject", huge, m.Type)
		}
	}
	if m := ask(0); m.Type != pp.DataMetadataExtensionMsgType || m.TotalSize != len(tor.InfoBytes) {
		t.Errorf("piece 0 after the huge ones: %+v", m)
	}
	testnet.WaitFor(t, s, ih, 5*time.Second, "the seed still seeding", func(ts swarm.TorrentSnapshot) bool {
		return ts.State == swarm.StateSeeding
	})
}

// A magnet leecher used to take the first metadata_size it heard as the
// truth. A peer that lies about it and then sits silent must not keep the
// honest seed's metadata out: once the liar's size brings nothing for a
// while, the fetch switches to another peer's claim.
func TestHostileSeed_MetadataSizeLiar(t *testing.T) {
	t.Cleanup(swarm.SetMetaStall(500 * time.Millisecond)) // first registered, so it runs after the sessions stop
	src, root := payload(t, 44, testnet.File{Path: "z.bin", Size: 200_000})
	tor := testnet.Create(t, root, 16<<10)
	liar := startHostile(t, tor, nil, func(p *rawPeer) error {
		ext, _ := bencode.Marshal(pp.ExtendedHandshakeMessage{
			M:            map[pp.ExtensionName]pp.ExtensionNumber{pp.ExtensionNameMetadata: 1},
			MetadataSize: len(tor.InfoBytes) + 77,
		})
		if err := p.send(pp.Extended, append([]byte{0}, ext...)); err != nil {
			return err
		}
		return p.drainUntilClosed()
	})
	mag, err := pieces.ParseMagnet(tor.Magnet())
	if err != nil {
		t.Fatal(err)
	}
	m := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	ih, err := m.Add(t.Context(), swarm.AddOptions{Magnet: mag, Dir: dst, Peers: []string{liar.addr}})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, m, ih, 10*time.Second, "connected to the liar", func(ts swarm.TorrentSnapshot) bool {
		return ts.PeersConnected == 1
	})
	time.Sleep(100 * time.Millisecond) // its extended handshake lands first
	s := testnet.StartSession(t, swarm.Config{})
	if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, Peers: []string{m.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, m, ih, 20*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if liar.cuts.Load() == 0 && liar.conns.Load() == 0 {
		t.Error("the liar was never even connected")
	}
}

// A peer that sends requests while choked and never reads our rejects used
// to grow the seed's outgoing queue as fast as it could send. The seed
// now cuts it off once a bounded backlog builds up.
func TestHostileLeecher_RequestFloodWithoutReading(t *testing.T) {
	t.Parallel()
	src, root := payload(t, 45, testnet.File{Path: "f.bin", Size: 100_000})
	tor := testnet.Create(t, root, 16<<10)
	s, ih := seed(t, src, tor, swarm.Config{})
	// Fast: every refused request gets a reject.
	c := rawHandshake(t, s.Addr().String(), ih, resvFast, "-XX0001-requestflood")
	// 2M requests for a piece we never said we wanted: 34 MB of rejects,
	// more than any socket buffer holds. We never read.
	req := make([]byte, 0, 17*4096)
	for range 4096 {
		req = binary.BigEndian.AppendUint32(req, 13)
		req = append(req, byte(pp.Request))
		req = binary.BigEndian.AppendUint32(req, 0)
		req = binary.BigEndian.AppendUint32(req, 0)
		req = binary.BigEndian.AppendUint32(req, 16384)
	}
	cut := false
	for range 500 {
		if _, err := c.Write(req); err != nil {
			cut = true
			break
		}
	}
	if !cut {
		// Every write went out before the cut reached us: the end of
		// the stream must come once the queued rejects are drained.
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the seed kept answering a peer that floods requests and never reads")
		}
	}
	// The seed itself is fine.
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
