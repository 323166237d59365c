package swarm

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// Our extension ids (BEP 10): peers address these messages to us.
const (
	extMetadata = 1
	extPEX      = 2
)

var (
	errBothSeeds = errors.New("both seeds")
)

func (t *torrent) pexAllowed() bool { return !t.s.cfg.NoPEX && !t.private() }

func (t *torrent) extHandshake() []byte {
	m := pp.ExtendedHandshakeMessage{
		M:    map[pp.ExtensionName]pp.ExtensionNumber{pp.ExtensionNameMetadata: extMetadata},
		V:    "shoal 0.1",
		Reqq: maxQueue,
		Port: int(t.s.addr.Port()),
	}
	if t.pexAllowed() {
		m.M[pp.ExtensionNamePex] = extPEX
	}
	m.MetadataSize = len(t.infoBytes())
	b, err := bencode.Marshal(m)
	if err != nil {
		panic(err) // a fixed struct always encodes
	}
	return b
}

func (t *torrent) handleExtended(p *peer, m message) error {
	switch m.ExtID {
	case 0:
		var h pp.ExtendedHandshakeMessage
		if err := bencode.Unmarshal(m.Payload, &h); err != nil {
			return fmt.Errorf("extended handshake: %w", err)
		}
		p.extIDs = make(map[pp.ExtensionName]uint8, len(h.M))
		for k, v := range h.M {
			p.extIDs[k] = uint8(v)
		}
		if h.V != "" {
			p.client = h.V
		}
		if h.Port > 0 && h.Port <= 65535 { // anything else would wrap into someone else's port in PEX
			p.listenPort = h.Port
		}
		if h.Reqq > 0 {
			p.reqq = h.Reqq
		}
		if h.MetadataSize > 0 {
			p.metadataSize = h.MetadataSize
		}
		if t.meta != nil {
			t.meta.requestFrom(t, p)
		}
		t.askLayers(p)
	case extMetadata:
		return t.handleMetadataMsg(p, m.Payload)
	case extPEX:
		if !t.pexAllowed() {
			return nil
		}
		msg, err := pp.LoadPexMsg(m.Payload)
		if err != nil {
			return nil // a broken PEX message is not worth a disconnect
		}
		var addrs []netip.AddrPort
		for _, na := range msg.Added {
			addrs = append(addrs, nodeAddrPort(na))
		}
		for _, na := range msg.Added6 {
			addrs = append(addrs, nodeAddrPort(na))
		}
		for _, a := range addrs {
			t.addKnown(a, SourcePEX)
		}
		t.dial()
	}
	return nil
}

// infoBytes is the torrent's info dict, nil until it is known. It is
// served while piece layers are fetched and the content opens too.
func (t *torrent) infoBytes() []byte {
	if c := t.data.Load(); c != nil {
		return c.tor.InfoBytes
	}
	if t.tor != nil {
		return t.tor.InfoBytes
	}
	return nil
}

func nodeAddrPort(na krpc.NodeAddr) netip.AddrPort {
	a, _ := netip.AddrFromSlice(na.IP)
	return netip.AddrPortFrom(a.Unmap(), uint16(na.Port))
}

// sendPEX tells p which peers we are connected to, as changes since the
// last message (BEP 11), at most once a minute.
func (t *torrent) sendPEX(p *peer) {
	id, ok := p.extIDs[pp.ExtensionNamePex]
	if !ok || id == 0 || !t.pexAllowed() || time.Since(p.lastPEX) < time.Minute {
		return
	}
	p.lastPEX = time.Now()
	cur := map[netip.AddrPort]bool{}
	for _, o := range t.peers {
		if o == p {
			continue
		}
		a := o.nc.addr
		if o.nc.incoming {
			if o.listenPort == 0 {
				continue
			}
			a = netip.AddrPortFrom(a.Addr(), uint16(o.listenPort))
		}
		cur[a] = true
	}
	if p.pexSent == nil {
		p.pexSent = map[netip.AddrPort]bool{}
	}
	var msg pp.PexMsg
	for a := range cur {
		if p.pexSent[a] || len(msg.Added)+len(msg.Added6) >= 50 {
			continue
		}
		p.pexSent[a] = true
		na := krpc.NodeAddr{IP: a.Addr().AsSlice(), Port: int(a.Port())}
		if a.Addr().Is4() {
			msg.Added = append(msg.Added, na)
			msg.AddedFlags = append(msg.AddedFlags, 0)
		} else {
			msg.Added6 = append(msg.Added6, na)
			msg.Added6Flags = append(msg.Added6Flags, 0)
		}
	}
	for a := range p.pexSent {
		if !cur[a] {
			delete(p.pexSent, a)
			na := krpc.NodeAddr{IP: a.Addr().AsSlice(), Port: int(a.Port())}
			if a.Addr().Is4() {
				msg.Dropped = append(msg.Dropped, na)
			} else {
				msg.Dropped6 = append(msg.Dropped6, na)
			}
		}
	}
	if msg.Len() == 0 {
		return
	}
	b, err := bencode.Marshal(msg)
	if err != nil {
		return
	}
	p.send(func(buf []byte) []byte { return appendExtended(buf, id, b) })
}

// metadataFetch assembles a magnet's info dict from ut_metadata pieces.
type metadataFetch struct {
	size     int
	data     []byte
	got      []bool
	from     map[int]peerIdent // who sent each piece, to blame for a bad dict
	asked    map[int]time.Time
	info     *pieces.Info
	progress time.Time // when size was adopted or a piece last came
}

// metaStall is how long a fetch may go without a piece before a peer that
// claims another metadata size gets its turn.
var metaStall = 10 * time.Second

func (f *metadataFetch) have() int {
	n := 0
	for _, g := range f.got {
		if g {
			n++
		}
	}
	return n
}

// stale says the fetch's size may be a lie worth giving up: no connected
// peer still claims it, or it has brought no piece for metaStall.
func (f *metadataFetch) stale(t *torrent) bool {
	if time.Since(f.progress) >= metaStall {
		return true
	}
	for _, q := range t.peers {
		if q.metadataSize == f.size {
			return false
		}
	}
	return true
}

func (f *metadataFetch) requestFrom(t *torrent, p *peer) {
	id, ok := p.extIDs[pp.ExtensionNameMetadata]
	if !ok || id == 0 || p.metadataSize <= 0 || p.metadataSize > maxMetadataLen {
		return
	}
	if f.size != 0 && p.metadataSize != f.size && f.stale(t) {
		// Any peer can claim any size, and the first claim used to stick:
		// one liar then kept every honest peer's answer out for good.
		t.log.Debug("Metadata fetch switches size", "from", f.size, "to", p.metadataSize, "peer", p.nc.addr.String())
		*f = metadataFetch{}
	}
	if f.size == 0 {
		f.size = p.metadataSize
		f.data = make([]byte, f.size)
		f.got = make([]bool, (f.size+metadataPiece-1)/metadataPiece)
		f.asked = map[int]time.Time{}
		f.progress = time.Now()
	}
	if p.metadataSize != f.size {
		return
	}
	for i, g := range f.got {
		if g || time.Since(f.asked[i]) < 5*time.Second {
			continue
		}
		f.asked[i] = time.Now()
		req, _ := bencode.Marshal(pp.ExtendedMetadataRequestMsg{Piece: i, Type: pp.RequestMetadataExtensionMsgType})
		p.send(func(b []byte) []byte { return appendExtended(b, id, req) })
	}
}

// decodeMetadataMsg splits a ut_metadata message (BEP 9) into its bencoded
// header and the metadata bytes that follow it.
func decodeMetadataMsg(payload []byte) (pp.ExtendedMetadataRequestMsg, []byte, error) {
	var msg pp.ExtendedMetadataRequestMsg
	d := bencode.NewDecoder(bytes.NewReader(payload))
	if err := d.Decode(&msg); err != nil {
		return msg, nil, fmt.Errorf("ut_metadata: %w", err)
	}
	return msg, payload[d.Offset:], nil
}

// metadataChunk is piece i of the info dict raw. The index comes from the
// peer: a huge one must not wrap around when multiplied into an offset.
func metadataChunk(raw []byte, i int) ([]byte, bool) {
	if i < 0 || i >= (len(raw)+metadataPiece-1)/metadataPiece {
		return nil, false
	}
	return raw[i*metadataPiece : min(len(raw), (i+1)*metadataPiece)], true
}

func (t *torrent) handleMetadataMsg(p *peer, payload []byte) error {
	msg, rest, err := decodeMetadataMsg(payload)
	if err != nil {
		return err
	}
	id := p.extIDs[pp.ExtensionNameMetadata]
	switch msg.Type {
	case pp.RequestMetadataExtensionMsgType:
		if id == 0 {
			return nil
		}
		raw := t.infoBytes()
		chunk, ok := metadataChunk(raw, msg.Piece)
		if !ok {
			rej, _ := bencode.Marshal(pp.ExtendedMetadataRequestMsg{Piece: msg.Piece, Type: pp.RejectMetadataExtensionMsgType})
			p.send(func(b []byte) []byte { return appendExtended(b, id, rej) })
			return nil
		}
		hdr, _ := bencode.Marshal(pp.ExtendedMetadataRequestMsg{Piece: msg.Piece, Type: pp.DataMetadataExtensionMsgType, TotalSize: len(raw)})
		p.send(func(b []byte) []byte { return appendExtended(b, id, append(hdr, chunk...)) })
	case pp.DataMetadataExtensionMsgType:
		f := t.meta
		if f == nil || f.size == 0 || msg.Piece < 0 || msg.Piece >= len(f.got) || f.got[msg.Piece] {
			return nil
		}
		want := min(metadataPiece, f.size-msg.Piece*metadataPiece)
		if len(rest) != want {
			return fmt.Errorf("ut_metadata piece %d: %d bytes, want %d", msg.Piece, len(rest), want)
		}
		copy(f.data[msg.Piece*metadataPiece:], rest)
		f.got[msg.Piece] = true
		f.progress = time.Now()
		if f.from == nil {
			f.from = map[int]peerIdent{}
		}
		f.from[msg.Piece] = peerIdent{addr: p.nc.addr, peerID: p.nc.peerID}
		if f.have() == len(f.got) {
			t.metadataDone(f)
		}
	case pp.RejectMetadataExtensionMsgType:
		if t.meta != nil && t.meta.asked != nil {
			delete(t.meta.asked, msg.Piece)
		}
	}
	return nil
}

// metadataDone checks the assembled info dict against the infohash (a
// btmh-only magnet's by its SHA-256) and, if it matches, turns the magnet
// into a full torrent: at once, or for a v2-only torrent once its piece
// layers arrive too.
func (t *torrent) metadataDone(f *metadataFetch) {
	m := t.opts.Magnet
	if (m.V2Only && pieces.InfoHashV2(f.data) != m.InfoHashV2) || (!m.V2Only && sha1.Sum(f.data) != t.ih) {
		t.log.Warn("Metadata does not match the infohash; fetching again")
		senders := map[peerIdent]bool{}
		for _, id := range f.from {
			senders[id] = true
		}
		if len(senders) == 1 {
			for id := range senders {
				t.ban(id, "sent metadata that does not match the infohash")
			}
		}
		t.meta = &metadataFetch{}
		for _, p := range t.peers {
			t.meta.requestFrom(t, p)
		}
		return
	}
	info, err := pieces.ParseInfo(f.data)
	switch {
	case err != nil:
	case !info.HasV2() && m.V2Only:
		// It hashed to the btmh, so it is the torrent asked for, but
		// without the file tree whose roots would check its pieces.
		err = errors.New("the info dict named by the magnet link's btmh is not a v2 torrent")
	case !info.HasV1() && !m.V2Only:
		// A btih is the SHA-1 of a v1 or hybrid info dict.
		err = errors.New("the info dict named by the magnet link's btih is a v2-only torrent: use its btmh")
	case !m.V2Only && m.InfoHashV2 != (pieces.Hash32{}) && pieces.InfoHashV2(f.data) != m.InfoHashV2:
		// A hybrid magnet names one torrent twice; this one is the
		// btih's, so the link's btmh is another torrent's (or no v2 at
		// all): announcing it would join a swarm of other bytes.
		err = errors.New("the magnet link's v2 infohash (btmh) is not this torrent's: the link names two different torrents")
	}
	if err != nil {
		t.fail(fmt.Errorf("metadata: %w", err))
		return
	}
	var tiers [][]string
	for _, u := range t.src.trackers {
		tiers = append(tiers, []string{u})
	}
	// A hybrid found by its btmh keeps its v1 infohash in its metainfo
	// (its magnet link names both), while the swarm knows it by the v2 one.
	tor := pieces.FromInfo(f.data, info)
	tor.Announce = tiers
	t.meta = nil
	if !m.V2Only {
		t.learnAlias(f.data, info) // a hybrid's v2 name, when a btih brought it
	}
	if needsLayers(tor) {
		t.fetchLayers(tor, true)
		return
	}
	// Opening and checking the data runs on a worker: this goroutine goes
	// on serving peers (the info dict to those who ask) meanwhile.
	t.beginOpen(tor, t.opts.Force, false, true, nil)
}

// fail stops the torrent with err (StateError) and disconnects its peers.
func (t *torrent) fail(err error) {
	t.log.Error("Torrent failed", "err", err)
	t.err = err
	for _, p := range t.peers {
		p.close()
	}
	t.s.emit(Event{Kind: EventError, InfoHash: t.ih, Name: t.name(), Msg: err.Error()})
}
