package swarm

import (
	"errors"
	"io"
	"net"
)

var errSelf = errors.New("connected to ourselves")

// initiateHandshake sends our handshake for ih and reads the peer's.
func (s *Session) initiateHandshake(c net.Conn, ih InfoHash) (io.ReadWriter, handshake, bool, error) {
	out := handshake{Reserved: reservedBits(s.cfg.DHT != nil), InfoHash: ih, PeerID: s.peerID}
	if _, err := c.Write(out.bytes()); err != nil {
		return nil, handshake{}, false, err
	}
	h, err := readHandshakeStart(c)
	if err != nil {
		return nil, h, false, err
	}
	if h.InfoHash != ih {
		return nil, h, false, errBadHandshake
	}
	if h.PeerID, err = readPeerID(c); err != nil {
		return nil, h, false, err
	}
	if h.PeerID == s.peerID {
		return nil, h, false, errSelf
	}
	return c, h, false, nil
}

// acceptHandshake reads the start of an incoming handshake (up to the
// infohash), so the caller can find the torrent and answer.
func (s *Session) acceptHandshake(c net.Conn) (io.ReadWriter, handshake, bool, error) {
	h, err := readHandshakeStart(c)
	if err != nil {
		return nil, h, false, err
	}
	return c, h, false, nil
}
