//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"
)

// shape is what the fake peers know of the torrent.
type shape struct {
	ih       [20]byte
	pieceLen int
	length   int64
	payload  []byte // the seeds' data; nil for leechers
}

func (s shape) pieces() int { return int((s.length + int64(s.pieceLen) - 1) / int64(s.pieceLen)) }

// fakeLeecher counts what one leecher got.
type fakeLeecher struct {
	got       atomic.Int64
	connected atomic.Bool
	// firstByte is when the first block arrived (UnixNano; 0: none yet).
	firstByte atomic.Int64
}

// leech connects to addr as a leecher. An idle one only reads what it is
// sent; an active one asks for full blocks (depth of them in flight),
// reading at most readBps (0: as fast as it can), until ctx ends.
func (l *fakeLeecher) leech(ctx context.Context, addr string, s shape, id int, active bool, depth int, readBps int64) error {
	// From an address of its own, as peers on a real network: the seed
	// bounds how many handshakes one address may have open.
	src := &net.TCPAddr{IP: net.IPv4(127, 1, byte(id/250), byte(1+id%250))}
	c, err := (&net.Dialer{LocalAddr: src}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if err := handshake(c, s.ih, id); err != nil {
		return err
	}
	l.connected.Store(true)
	defer l.connected.Store(false)
	r := bufio.NewReaderSize(c, 64<<10)
	if !active {
		var buf []byte
		for {
			if buf, err = readMsg(r, buf); err != nil {
				return nil
			}
		}
	}
	// Full blocks of every piece but the last, in a random order of pieces.
	perPiece := s.pieceLen / blockSize
	order := rand.Perm(s.pieces() - 1)
	next := 0
	request := func(out []byte) []byte {
		p := order[(next/perPiece)%len(order)]
		b := next % perPiece
		next++
		return appendMsg(out, msgRequest, uint32(p), uint32(b*blockSize), blockSize)
	}
	if _, err := c.Write(appendMsg(nil, msgInterested)); err != nil {
		return err
	}
	start := time.Now()
	inFlight := 0
	var buf, out []byte
	for {
		if buf, err = readMsg(r, buf); err != nil {
			return nil
		}
		if len(buf) == 0 {
			continue
		}
		out = out[:0]
		switch buf[0] {
		case msgChoke:
			inFlight = 0 // no fast extension: the seed drops what we asked
		case msgUnchoke:
			for ; inFlight < depth; inFlight++ {
				out = request(out)
			}
		case msgPiece:
			l.firstByte.CompareAndSwap(0, time.Now().UnixNano())
			got := l.got.Add(int64(len(buf) - 9))
			inFlight = max(0, inFlight-1)
			for ; inFlight < depth; inFlight++ {
				out = request(out)
			}
			if readBps > 0 {
				if ahead := time.Duration(float64(got)/float64(readBps)*float64(time.Second)) - time.Since(start); ahead > 0 {
					time.Sleep(ahead)
				}
			}
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return nil
			}
		}
	}
}

// fakeSeed serves the whole payload from memory to whoever connects: at
// once, or one block every slowEvery.
type fakeSeed struct {
	id        int
	s         shape
	slowEvery time.Duration
	served    atomic.Int64
}

func (f *fakeSeed) serve(ctx context.Context, ln net.Listener) {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go f.conn(ctx, c)
	}
}

func (f *fakeSeed) conn(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if err := handshake(c, f.s.ih, 1_000_000+f.id); err != nil {
		return
	}
	w := bufio.NewWriterSize(c, 256<<10)
	w.Write(appendBitfield(nil, f.s.pieces()))
	w.Write(appendMsg(nil, msgUnchoke))
	if w.Flush() != nil {
		return
	}
	reqs := make(chan [3]uint32, 4096)
	defer close(reqs)
	go func() {
		for q := range reqs {
			if f.slowEvery > 0 {
				time.Sleep(f.slowEvery)
			}
			off := int64(q[0])*int64(f.s.pieceLen) + int64(q[1])
			if q[2] > 1<<17 || off+int64(q[2]) > f.s.length {
				c.Close()
				return
			}
			hdr := binary.BigEndian.AppendUint32(nil, 9+q[2])
			hdr = append(hdr, msgPiece)
			hdr = binary.BigEndian.AppendUint32(hdr, q[0])
			w.Write(binary.BigEndian.AppendUint32(hdr, q[1]))
			w.Write(f.s.payload[off : off+int64(q[2])])
			f.served.Add(int64(q[2]))
			if len(reqs) == 0 && w.Flush() != nil {
				return
			}
		}
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	var buf []byte
	for {
		var err error
		if buf, err = readMsg(r, buf); err != nil {
			return
		}
		if len(buf) == 13 && buf[0] == msgRequest {
			be := binary.BigEndian.Uint32
			select {
			case reqs <- [3]uint32{be(buf[1:]), be(buf[5:]), be(buf[9:])}:
			default: // a flood: dropped, as a real client would reject it
			}
		}
	}
}
