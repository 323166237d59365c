//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The fake peers speak just enough of the wire protocol (BEP 3, no
// extensions) to be an idle or a downloading leecher, or a seed serving
// from memory. They check nothing: shoal is what is measured.

const blockSize = 16 << 10

const (
	msgChoke        = 0
	msgUnchoke      = 1
	msgInterested   = 2
	msgBitfield     = 5
	msgRequest      = 6
	msgPiece        = 7
	protocolHeader  = "\x13BitTorrent protocol"
	handshakeLength = 68
)

func handshake(c net.Conn, ih [20]byte, id int) error {
	var h [handshakeLength]byte
	copy(h[:], protocolHeader)
	copy(h[28:], ih[:])
	copy(h[48:], fmt.Sprintf("-BN0001-%012d", id))
	c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(h[:]); err != nil {
		return err
	}
	var got [handshakeLength]byte
	if _, err := io.ReadFull(c, got[:]); err != nil {
		return err
	}
	if !bytes.Equal(got[:20], []byte(protocolHeader)) || !bytes.Equal(got[28:48], ih[:]) {
		return errors.New("bad handshake")
	}
	return nil
}

// readMsg reads one message into buf (grown as needed); a keepalive is
// an empty message.
func readMsg(r *bufio.Reader, buf []byte) ([]byte, error) {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > 1<<20 {
		return nil, fmt.Errorf("message of %d bytes", n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func appendMsg(b []byte, typ byte, ints ...uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(1+4*len(ints)))
	b = append(b, typ)
	for _, v := range ints {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func appendBitfield(b []byte, pieces int) []byte {
	bf := make([]byte, (pieces+7)/8)
	for i := range pieces {
		bf[i/8] |= 0x80 >> (i % 8)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(bf)))
	b = append(b, msgBitfield)
	return append(b, bf...)
}
