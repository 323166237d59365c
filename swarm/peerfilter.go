package swarm

import (
	"errors"
	"net/netip"
)

// PeerFilter says whether a peer address is refused: never dialled, and
// its connections closed at accept, before any byte is read. ih is the
// torrent a dial is for, and zero for an incoming connection (whose
// torrent is not known before the handshake). It is called from many
// goroutines at once and must not block.
type PeerFilter func(ih InfoHash, addr netip.Addr) bool

// ErrPeerRefused is the dial error of an address the PeerFilter refuses.
var ErrPeerRefused = errors.New("peer address refused by the peer filter (blocklist)")

// SetPeerFilter sets the filter (nil: none); it applies to every dial and
// accept from then on. The daemon sets one from its IP blocklist.
func (s *Session) SetPeerFilter(f PeerFilter) {
	if f == nil {
		s.peerFilter.Store(nil)
		return
	}
	s.peerFilter.Store(&f)
}

// peerRefused asks the filter about addr (IPv4-mapped addresses unmapped).
func (s *Session) peerRefused(ih InfoHash, addr netip.Addr) bool {
	f := s.peerFilter.Load()
	return f != nil && (*f)(ih, addr.Unmap())
}
