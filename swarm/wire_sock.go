package swarm

import (
	"encoding/binary"
	"io"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Piece payloads are nearly all a downloading peer reads, and through a
// plain buffered reader each byte is copied twice: by the kernel into the
// buffer, then by us into the block (a tenth of the leecher's CPU in perf,
// about 0.3 s per GiB). On a plain TCP connection sockReader has the
// kernel copy payloads straight into the blocks. It reads with readv into
// the rest of the payload being read, then into a few (header, block)
// pairs on the guess that what follows are Piece messages of one whole
// block each, which is what a peer answering our requests sends. A guess
// that proves wrong (a Have in between, a shorter last block, a read that
// ends inside a header) costs what the buffered path costs: the bytes
// past the wrong guess are copied into the buffer and read from there.

const (
	pieceHeadLen = 13 // length, id, index, begin
	specBlocks   = 3  // pairs per readv: about 64 KiB a call (7 iovecs: unix.Readv allocates for more than 8)
)

// specPiece is a Piece message of one whole block, header read.
type specPiece struct {
	index, begin uint32
	block        *[]byte
}

// sockReader buffers the connection for msgReader. After a scatter read
// the stream continues, in order, with ready, then part (whose block
// holds partHave bytes) or, when there is no part, the buffer.
type sockReader struct {
	src   io.Reader
	readv func([][]byte) (int, error) // nil: no scatter reads (MSE, pipes)
	buf   []byte
	r, w  int
	err   error // from src, for after buf's bytes

	ready    []specPiece
	readyArr [specBlocks]specPiece
	part     specPiece
	partHave int
	heads    [specBlocks][pieceHeadLen]byte
	iov      [1 + 2*specBlocks][]byte
	spec     [specBlocks]*[]byte

	direct int64 // payload bytes the kernel put straight into blocks
}

func (s *sockReader) reset(src io.Reader) {
	*s = sockReader{src: src, readv: scatterReader(src), buf: s.buf}
	if s.buf == nil {
		s.buf = make([]byte, 256<<10)
	}
}

// fill reads into the empty buffer.
func (s *sockReader) fill() error {
	s.r, s.w = 0, 0
	if s.err != nil {
		err := s.err
		s.err = nil
		return err
	}
	for range 100 {
		n, err := s.src.Read(s.buf)
		s.w = n
		if n > 0 {
			s.err = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// readFull is io.ReadFull through the buffer.
func (s *sockReader) readFull(p []byte) error {
	n := 0
	for {
		c := copy(p[n:], s.buf[s.r:s.w])
		s.r += c
		if n += c; n == len(p) {
			return nil
		}
		if err := s.fill(); err != nil {
			if err == io.EOF && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// readPayload fills dst, the payload of a Piece message whose header was
// read, straight from the socket where it can. The message has begun, so
// an end of the stream is unexpected.
func (s *sockReader) readPayload(dst []byte) error {
	err := s.fillPayload(dst)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (s *sockReader) fillPayload(dst []byte) error {
	c := copy(dst, s.buf[s.r:s.w])
	s.r += c
	if s.readv == nil {
		return s.readFull(dst[c:])
	}
	for rest := dst[c:]; len(rest) > 0; {
		n, err := s.scatter(rest)
		if err != nil {
			return err
		}
		rest = rest[n:]
	}
	return nil
}

// scatter reads once, into rest and then into guessed (header, block)
// pairs, and sorts out what came: it returns the bytes that went into
// rest and leaves the others in ready, part or the buffer. The buffer
// and ready must be empty, and there must be no part.
func (s *sockReader) scatter(rest []byte) (int, error) {
	s.r, s.w = 0, 0
	iov := s.iov[:0]
	if len(rest) > 0 {
		iov = append(iov, rest)
	}
	first := len(iov)
	for i := range s.spec {
		s.spec[i] = getBlock()
		iov = append(iov, s.heads[i][:], (*s.spec[i])[:blockSize])
	}
	n, err := s.readv(iov)
	if n <= 0 {
		n = 0
		if err == nil {
			err = io.EOF
		}
	}
	got := min(n, len(rest))
	s.direct += int64(got)
	n -= got
	s.ready = s.readyArr[:0]
	for i := 0; i < specBlocks && n > 0; i++ {
		h := s.heads[i][:min(n, pieceHeadLen)]
		index, begin, ok := wholePieceHead(h)
		if !ok {
			// The guess was wrong here: the rest is a byte stream.
			s.spill(iov[first+2*i:], n)
			break
		}
		n -= pieceHeadLen
		b := min(n, blockSize)
		n -= b
		s.direct += int64(b)
		if b == blockSize {
			s.ready = append(s.ready, specPiece{index, begin, s.spec[i]})
		} else {
			s.part, s.partHave = specPiece{index, begin, s.spec[i]}, b
		}
		s.spec[i] = nil
	}
	for i, b := range s.spec {
		if b != nil {
			putBlock(b)
			s.spec[i] = nil
		}
	}
	clear(s.iov[:])
	return got, err
}

// spill copies the first n bytes of iov into the empty buffer.
func (s *sockReader) spill(iov [][]byte, n int) {
	for _, v := range iov {
		if n == 0 {
			break
		}
		c := copy(s.buf[s.w:], v[:min(n, len(v))])
		s.w += c
		n -= c
	}
}

// wholePieceHead says h is the header of a Piece message of blockSize
// bytes, and returns its index and begin.
func wholePieceHead(h []byte) (index, begin uint32, ok bool) {
	if len(h) < pieceHeadLen || binary.BigEndian.Uint32(h) != 9+blockSize || h[4] != byte(pp.Piece) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(h[5:]), binary.BigEndian.Uint32(h[9:]), true
}

// next returns a Piece message a scatter read already placed, if any.
func (s *sockReader) next() (msg message, ok bool, err error) {
	var sp specPiece
	switch {
	case len(s.ready) > 0:
		sp, s.ready = s.ready[0], s.ready[1:]
	case s.part.block != nil:
		sp, s.part = s.part, specPiece{}
		if err := s.readPayload((*sp.block)[s.partHave:blockSize]); err != nil {
			putBlock(sp.block)
			return msg, false, err
		}
	default:
		return msg, false, nil
	}
	return message{Type: pp.Piece, Index: sp.index, Begin: sp.begin, Length: blockSize, Block: sp.block}, true, nil
}

// release returns the blocks of pieces placed but not read.
func (s *sockReader) release() {
	for _, sp := range s.ready {
		putBlock(sp.block)
	}
	s.ready = nil
	if s.part.block != nil {
		putBlock(s.part.block)
		s.part = specPiece{}
	}
}
