package swarm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// The wire codec is hand-rolled for the hot path: a Piece message is read
// into a pooled 16 KiB buffer, by the kernel itself where it can
// (wire_sock.go), with no per-message allocation. peer_protocol supplies the constants and
// the bencoded extension messages.

const (
	protocolName   = "\x13BitTorrent protocol"
	handshakeLen   = 68
	maxMessageLen  = 1<<20 + 64 // bitfield of ~8M pieces or a metadata piece; more is abuse
	maxMetadataLen = 16 << 20
	metadataPiece  = 16 * 1024
)

// Reserved bits we set and read (BEP 10: byte 5 0x10; BEP 6: byte 7 0x04;
// BEP 5: byte 7 0x01; BEP 52: byte 7 0x10, for torrents with a v2 half
// only, as libtorrent sets it: its handshake code refuses the bit for a
// v1 torrent, though qBittorrent's 2.0.8 here was not seen to).
func reservedBits(dht, v2 bool) [8]byte {
	var r [8]byte
	r[5] |= 0x10
	r[7] |= 0x04
	if v2 {
		r[7] |= 0x10 // we speak BEP 52 hash messages (hashes.go, layerfetch.go)
	}
	if dht {
		r[7] |= 0x01
	}
	return r
}

func supportsExtended(r [8]byte) bool { return r[5]&0x10 != 0 }
func supportsFast(r [8]byte) bool     { return r[7]&0x04 != 0 }

func supportsV2(r [8]byte) bool { return r[7]&0x10 != 0 }

var errBadHandshake = errors.New("bad handshake")

type handshake struct {
	Reserved [8]byte
	InfoHash [20]byte
	PeerID   [20]byte
}

func (h handshake) bytes() []byte {
	b := make([]byte, 0, handshakeLen)
	b = append(b, protocolName...)
	b = append(b, h.Reserved[:]...)
	b = append(b, h.InfoHash[:]...)
	return append(b, h.PeerID[:]...)
}

// readHandshakeStart reads the protocol string, reserved bits and infohash
// (the first 48 bytes), so an acceptor can pick the torrent before answering.
func readHandshakeStart(r io.Reader) (h handshake, err error) {
	var b [48]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return h, err
	}
	if string(b[:20]) != protocolName {
		return h, errBadHandshake
	}
	copy(h.Reserved[:], b[20:28])
	copy(h.InfoHash[:], b[28:48])
	return h, nil
}

func readPeerID(r io.Reader) (id [20]byte, err error) {
	_, err = io.ReadFull(r, id[:])
	return id, err
}

// blockPool holds 16 KiB buffers for received Piece payloads (and web
// seeds' blocks), page-aligned so the disk goroutines can write them with
// O_DIRECT. Uploads read into runPool's buffers instead.
var blockPool = sync.Pool{New: func() any { b := pieces.AlignedBlock(blockSize); return &b }}

const blockSize = 16 * 1024

func getBlock() *[]byte  { return blockPool.Get().(*[]byte) }
func putBlock(b *[]byte) { blockPool.Put(b) }

// message is one decoded peer message. For Piece, Data is a pooled buffer
// (Block) the consumer must return with putBlock; for other messages
// Payload aliases the reader's scratch space and is valid until the next
// read.
type message struct {
	Type                 pp.MessageType
	Keepalive            bool
	Index, Begin, Length uint32
	Block                *[]byte // Piece
	Payload              []byte  // Bitfield, Extended (after the id byte)
	ExtID                uint8
	Port                 uint16
}

type msgReader struct {
	s       sockReader
	scratch []byte
	// buf holds a message's fixed fields: on read's stack it escaped
	// through the reader, two allocations per message.
	buf [12]byte
	// pieceRun counts down the messages since the last Piece; while it
	// is above zero an empty buffer is refilled by a scatter read, on
	// the guess that more Pieces follow.
	pieceRun int
}

func newMsgReader(r io.Reader) *msgReader {
	m := &msgReader{}
	m.s.reset(r)
	return m
}

var errMessageTooLong = errors.New("message too long")

// protoError is a breach of the wire protocol that no honest client makes
// by accident (a wrong length, an index out of range, a block never
// asked for); the torrent bans the peer for it.
type protoError struct{ reason string }

func (e *protoError) Error() string { return "protocol violation: " + e.reason }

func violation(format string, args ...any) error {
	return &protoError{reason: fmt.Sprintf(format, args...)}
}

func (m *msgReader) read() (message, error) {
	msg, err := m.readOne()
	if err == nil && msg.Type == pp.Piece {
		m.pieceRun = 8
	} else if m.pieceRun > 0 {
		m.pieceRun--
	}
	return msg, err
}

func (m *msgReader) readOne() (message, error) {
	s := &m.s
	for {
		if msg, ok, err := s.next(); ok || err != nil {
			return msg, err
		}
		if s.r < s.w || s.readv == nil || m.pieceRun == 0 {
			break
		}
		if _, err := s.scatter(nil); err != nil {
			return message{}, err
		}
	}
	buf := &m.buf
	if err := s.readFull(buf[:4]); err != nil {
		return message{}, err
	}
	n := binary.BigEndian.Uint32(buf[:4])
	if n == 0 {
		return message{Keepalive: true}, nil
	}
	if n > maxMessageLen {
		return message{}, fmt.Errorf("%w: %w", errMessageTooLong, violation("message of %d bytes", n))
	}
	if err := s.readFull(buf[:1]); err != nil {
		return message{}, err
	}
	msg := message{Type: pp.MessageType(buf[0])}
	n--
	fixed := func(want uint32) error {
		if n != want {
			return violation("%v message of %d bytes", msg.Type, n)
		}
		return nil
	}
	switch msg.Type {
	case pp.Choke, pp.Unchoke, pp.Interested, pp.NotInterested, pp.HaveAll, pp.HaveNone:
		return msg, fixed(0)
	case pp.Have, pp.Suggest, pp.AllowedFast:
		if err := fixed(4); err != nil {
			return msg, err
		}
		if err := s.readFull(buf[:4]); err != nil {
			return msg, err
		}
		msg.Index = binary.BigEndian.Uint32(buf[:4])
		return msg, nil
	case pp.Request, pp.Cancel, pp.Reject:
		if err := fixed(12); err != nil {
			return msg, err
		}
		if err := s.readFull(buf[:12]); err != nil {
			return msg, err
		}
		msg.Index = binary.BigEndian.Uint32(buf[:4])
		msg.Begin = binary.BigEndian.Uint32(buf[4:8])
		msg.Length = binary.BigEndian.Uint32(buf[8:12])
		return msg, nil
	case pp.Piece:
		if n < 8 || n-8 > blockSize {
			return msg, violation("piece message of %d bytes", n)
		}
		if err := s.readFull(buf[:8]); err != nil {
			return msg, err
		}
		msg.Index = binary.BigEndian.Uint32(buf[:4])
		msg.Begin = binary.BigEndian.Uint32(buf[4:8])
		msg.Length = n - 8
		b := getBlock()
		if err := s.readPayload((*b)[:msg.Length]); err != nil {
			putBlock(b)
			return msg, err
		}
		msg.Block = b
		return msg, nil
	case pp.Port:
		if err := fixed(2); err != nil {
			return msg, err
		}
		if err := s.readFull(buf[:2]); err != nil {
			return msg, err
		}
		msg.Port = binary.BigEndian.Uint16(buf[:2])
		return msg, nil
	}
	// Bitfield, Extended and anything unknown: read the whole payload.
	if cap(m.scratch) < int(n) {
		m.scratch = make([]byte, n)
	}
	p := m.scratch[:n]
	if err := s.readFull(p); err != nil {
		return msg, err
	}
	if msg.Type == pp.Extended {
		if len(p) < 1 {
			return msg, violation("empty extended message")
		}
		msg.ExtID, p = p[0], p[1:]
	}
	msg.Payload = p
	return msg, nil
}

// Encoders append to b and return it.

func appendSimple(b []byte, t pp.MessageType) []byte {
	return append(b, 0, 0, 0, 1, byte(t))
}

func appendIndex(b []byte, t pp.MessageType, i uint32) []byte {
	b = append(b, 0, 0, 0, 5, byte(t))
	return binary.BigEndian.AppendUint32(b, i)
}

func appendRequest(b []byte, t pp.MessageType, i, begin, length uint32) []byte {
	b = append(b, 0, 0, 0, 13, byte(t))
	b = binary.BigEndian.AppendUint32(b, i)
	b = binary.BigEndian.AppendUint32(b, begin)
	return binary.BigEndian.AppendUint32(b, length)
}

func appendPieceHeader(b []byte, i, begin uint32, n int) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(9+n))
	b = append(b, byte(pp.Piece))
	b = binary.BigEndian.AppendUint32(b, i)
	return binary.BigEndian.AppendUint32(b, begin)
}

func appendPayload(b []byte, t pp.MessageType, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)))
	b = append(b, byte(t))
	return append(b, payload...)
}

func appendExtended(b []byte, id uint8, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(2+len(payload)))
	b = append(b, byte(pp.Extended), id)
	return append(b, payload...)
}
