package swarm

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// memStream is a socket over stream that returns at most the next of
// limits bytes per call (cycling), as a socket returns what has come.
type memStream struct {
	stream, limits []byte
	k              int
}

func (s *memStream) readv(iov [][]byte) (int, error) {
	if len(s.stream) == 0 {
		return 0, nil
	}
	limit := 1 << 30
	if len(s.limits) > 0 {
		limit = 1 + int(s.limits[s.k%len(s.limits)])*97
		s.k++
	}
	n := 0
	for _, v := range iov {
		c := copy(v[:min(len(v), limit-n)], s.stream)
		s.stream = s.stream[c:]
		if n += c; n == limit || len(s.stream) == 0 {
			break
		}
	}
	return n, nil
}

func (s *memStream) Read(p []byte) (int, error) {
	n, _ := s.readv([][]byte{p})
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// newMemReader reads stream with scatter reads.
func newMemReader(stream, limits []byte) (*msgReader, *memStream) {
	ms := &memStream{stream: stream, limits: limits}
	m := newMsgReader(ms)
	m.s.readv = ms.readv
	return m, ms
}

// testStream builds a stream of messages from a recipe, one message per
// byte: mostly whole-block Pieces, with the messages that break the
// scatter read's guess mixed in.
func testStream(recipe []byte) []byte {
	var b []byte
	for i, r := range recipe {
		switch r % 8 {
		case 0, 1, 2, 3:
			b = appendPieceHeader(b, uint32(i), uint32(r)*blockSize, blockSize)
			b = append(b, bytes.Repeat([]byte{r, byte(i)}, blockSize/2)...)
		case 4:
			n := int(r) * 37
			b = appendPieceHeader(b, uint32(i), 0, n)
			b = append(b, bytes.Repeat([]byte{r}, n)...)
		case 5:
			b = appendIndex(b, pp.Have, uint32(r))
		case 6:
			b = append(b, 0, 0, 0, 0)
		case 7:
			b = appendExtended(b, r, bytes.Repeat([]byte{'x'}, int(r)))
		}
	}
	return b
}

type readResult struct {
	msgs []message
	data [][]byte
	err  error
}

func readAll(m *msgReader) readResult {
	var res readResult
	for range 10000 {
		msg, err := m.read()
		if err != nil {
			res.err = err
			return res
		}
		var d []byte
		if msg.Block != nil {
			d = bytes.Clone((*msg.Block)[:msg.Length])
			putBlock(msg.Block)
			msg.Block = nil
		} else {
			d = bytes.Clone(msg.Payload)
			msg.Payload = nil
		}
		res.msgs = append(res.msgs, msg)
		res.data = append(res.data, d)
	}
	return res
}

func sameRead(t *testing.T, got, want readResult) {
	t.Helper()
	if len(got.msgs) != len(want.msgs) {
		t.Fatalf("scatter read %d messages (then %v), buffered %d (then %v)", len(got.msgs), got.err, len(want.msgs), want.err)
	}
	for i := range got.msgs {
		g, w := got.msgs[i], want.msgs[i]
		if g.Type != w.Type || g.Keepalive != w.Keepalive || g.Index != w.Index || g.Begin != w.Begin ||
			g.Length != w.Length || g.ExtID != w.ExtID || g.Port != w.Port || !bytes.Equal(got.data[i], want.data[i]) {
			t.Fatalf("message %d: scatter %+v, buffered %+v", i, got.msgs[i], want.msgs[i])
		}
	}
	var gp, wp *protoError
	if (got.err == nil) != (want.err == nil) || errors.Is(got.err, io.EOF) != errors.Is(want.err, io.EOF) ||
		errors.As(got.err, &gp) != errors.As(want.err, &wp) {
		t.Fatalf("scatter read ended with %v, buffered with %v", got.err, want.err)
	}
}

// FuzzScatterRead checks that scatter reads, however the bytes come in,
// read the same messages and fail the same way as the buffered reader:
// the recipe's messages, then arbitrary bytes.
func FuzzScatterRead(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, []byte{}, []byte{0xff})
	f.Add([]byte{0, 5, 1, 4, 2, 6, 3, 7}, []byte{}, []byte{200, 3, 170, 1})
	f.Add([]byte{0, 0, 0, 12, 0, 0}, []byte{0, 0}, []byte{0, 1, 2})
	f.Add([]byte{1, 2}, appendPieceHeader(nil, 1, 0, blockSize), []byte{169})
	f.Fuzz(func(t *testing.T, recipe, tail, limits []byte) {
		if len(recipe) > 64 {
			recipe = recipe[:64]
		}
		stream := append(testStream(recipe), tail...)
		want := readAll(newMsgReader(bytes.NewReader(stream)))
		m, _ := newMemReader(stream, limits)
		got := readAll(m)
		sameRead(t, got, want)
	})
}

// TestScatterRead_TCP reads Pieces, with Haves among them, from a real
// socket: the bytes are right and most payload never passed through the
// buffer.
func TestScatterRead_TCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	recipe := make([]byte, 600)
	for i := range recipe {
		recipe[i] = byte(i*8) + byte(i%50/49*5) // whole blocks, a Have every 50th
	}
	stream := testStream(recipe)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for b := stream; len(b) > 0; {
			n := min(len(b), 1+len(b)%70000)
			c.Write(b[:n])
			b = b[n:]
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := newMsgReader(c)
	if m.s.readv == nil {
		t.Fatal("no scatter reads on a TCP connection")
	}
	got := readAll(m)
	want := readAll(newMsgReader(bytes.NewReader(stream)))
	sameRead(t, got, want)
	var payload int64
	for _, msg := range got.msgs {
		if msg.Type == pp.Piece {
			payload += int64(msg.Length)
		}
	}
	if m.s.direct < payload/2 {
		t.Errorf("%d of %d payload bytes read straight into blocks, want most", m.s.direct, payload)
	}
}

func TestAllocs_ScatterRead(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop blocks at random")
	}
	var stream []byte
	for i := range 64 {
		stream = appendPieceHeader(stream, uint32(i), 0, blockSize)
		stream = append(stream, make([]byte, blockSize)...)
	}
	m, ms := newMemReader(stream, []byte{170})
	allocs := testing.AllocsPerRun(200, func() {
		if len(ms.stream) == 0 {
			ms.stream = stream // at a message boundary: a Piece ended it
		}
		msg, err := m.read()
		if err != nil {
			t.Fatal(err)
		}
		putBlock(msg.Block)
	})
	if allocs != 0 {
		t.Errorf("a scatter read of a Piece allocates %.2f times, want 0", allocs)
	}
	if m.s.direct == 0 {
		t.Error("no payload was read straight into a block")
	}
}
