package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/anacrolix/torrent/mse"
	"github.com/anacrolix/torrent/tracker"
)

// Handshakes, plaintext or MSE (message stream encryption, the "BitTorrent
// protocol encryption" that some peers require). Outgoing: EncryptionAllow
// and EncryptionOff try plaintext; Allow retries with MSE when the peer
// drops the plaintext attempt; Prefer tries MSE first and falls back;
// Require uses MSE with RC4 only. Incoming: an MSE handshake is told from
// a plaintext one by its first bytes and accepted unless EncryptionOff;
// plaintext is refused under EncryptionRequire.

var (
	errSelf         = errors.New("connected to ourselves")
	errNeedEncrypt  = errors.New("plaintext refused: encryption required")
	errNoEncryption = errors.New("encrypted handshake refused: encryption off")
)

// dialPeer connects to a for ih; v2 says the torrent has a v2 half (the
// handshake then says we speak BEP 52).
func (s *Session) dialPeer(ctx context.Context, a netip.AddrPort, ih InfoHash, v2 bool) (*newConn, error) {
	if s.peerRefused(ih, a.Addr()) {
		return nil, ErrPeerRefused
	}
	var tries []bool // encrypt?
	switch s.cfg.Encryption {
	case EncryptionOff:
		tries = []bool{false}
	case EncryptionAllow:
		tries = []bool{false, true}
	case EncryptionPrefer:
		tries = []bool{true, false}
	case EncryptionRequire:
		tries = []bool{true}
	}
	var firstErr error
	for _, enc := range tries {
		nc, err := s.dialOnce(ctx, a, ih, v2, enc)
		if err == nil {
			return nc, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil || errors.Is(err, errSelf) || isRefused(err) {
			break
		}
	}
	return nil, firstErr
}

func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (s *Session) dialOnce(ctx context.Context, a netip.AddrPort, ih InfoHash, v2, encrypt bool) (*newConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if from := s.dialFrom; from.IsValid() && from.Is4() == a.Addr().Unmap().Is4() {
		// From the listen address, so the peer (and the trackers it tells)
		// sees the address that accepts connections. A peer of the other
		// family cannot be reached from it and is dialed as the system
		// routes it.
		d.LocalAddr = &net.TCPAddr{IP: from.AsSlice(), Zone: from.Zone()}
	}
	c, err := d.DialContext(ctx, "tcp", a.String())
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	sent := time.Now()
	conn, h, enc, err := s.initiateHandshake(c, ih, v2, encrypt)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	nc := &newConn{conn: conn, raw: c, addr: a, reserved: h.Reserved, peerID: h.PeerID, encrypted: enc}
	if !encrypt {
		// One round trip, our handshake out and the peer's back; MSE's
		// takes two and is not timed.
		nc.handshakeRTT = time.Since(sent)
	}
	return nc, nil
}

// initiateHandshake sends our handshake for ih (inside MSE when encrypt)
// and reads the peer's.
func (s *Session) initiateHandshake(c net.Conn, ih InfoHash, v2, encrypt bool) (io.ReadWriter, handshake, bool, error) {
	out := handshake{Reserved: reservedBits(s.cfg.DHT != nil, v2), InfoHash: ih, PeerID: s.peerID}
	var rw io.ReadWriter = c
	enc := false
	if encrypt {
		provides := mse.AllSupportedCrypto
		if s.cfg.Encryption == EncryptionRequire {
			provides = mse.CryptoMethodRC4
		}
		var method mse.CryptoMethod
		var err error
		rw, method, err = mse.InitiateHandshake(c, ih[:], out.bytes(), provides)
		if err != nil {
			return nil, handshake{}, false, err
		}
		enc = method == mse.CryptoMethodRC4
	} else if _, err := c.Write(out.bytes()); err != nil {
		return nil, handshake{}, false, err
	}
	h, err := readHandshakeStart(rw)
	if err != nil {
		return nil, h, false, err
	}
	if h.InfoHash != ih {
		return nil, h, false, errBadHandshake
	}
	if h.PeerID, err = readPeerID(rw); err != nil {
		return nil, h, false, err
	}
	if h.PeerID == s.peerID {
		return nil, h, false, errSelf
	}
	return rw, h, enc, nil
}

// acceptHandshake reads an incoming handshake up to the infohash (after
// MSE if the peer speaks it), so the caller can pick the torrent.
func (s *Session) acceptHandshake(c net.Conn) (io.ReadWriter, handshake, bool, error) {
	first := make([]byte, len(protocolName))
	if _, err := io.ReadFull(c, first); err != nil {
		return nil, handshake{}, false, err
	}
	if string(first) == protocolName {
		if s.cfg.Encryption == EncryptionRequire {
			return nil, handshake{}, false, errNeedEncrypt
		}
		h, err := readHandshakeStart(io.MultiReader(bytes.NewReader(first), c))
		return c, h, false, err
	}
	if s.cfg.Encryption == EncryptionOff {
		return nil, handshake{}, false, errNoEncryption
	}
	rw := struct {
		io.Reader
		io.Writer
	}{io.MultiReader(bytes.NewReader(first), c), c}
	skeys := func(yield func([]byte) bool) {
		s.mu.Lock()
		keys := make([][]byte, 0, len(s.torrents)+len(s.aliases))
		for ih := range s.torrents {
			keys = append(keys, append([]byte(nil), ih[:]...))
		}
		for ih := range s.aliases {
			keys = append(keys, append([]byte(nil), ih[:]...))
		}
		s.mu.Unlock()
		for _, k := range keys {
			if !yield(k) {
				return
			}
		}
	}
	sel := func(provided mse.CryptoMethod) mse.CryptoMethod {
		if provided&mse.CryptoMethodRC4 != 0 {
			return mse.CryptoMethodRC4
		}
		if s.cfg.Encryption == EncryptionRequire {
			return 0
		}
		return mse.CryptoMethodPlaintext
	}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	conn, method, err := mse.ReceiveHandshake(ctx, rw, skeys, sel)
	if err != nil {
		return nil, handshake{}, false, err
	}
	h, err := readHandshakeStart(conn)
	return conn, h, method == mse.CryptoMethodRC4, err
}

// resolveAddr turns a --peer or x.pe HOST:PORT into an address to dial.
func resolveAddr(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	pn, err := net.LookupPort("tcp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(pn)), nil
}

// trackerClientOpts makes announces leave from the listen address too
// (see dialFrom): trackers record the address they see.
func (s *Session) trackerClientOpts(log *slog.Logger) tracker.NewClientOpts {
	opts := tracker.NewClientOpts{Slogger: log}
	from := s.dialFrom
	if !from.IsValid() {
		return opts
	}
	opts.Http.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 15 * time.Second}
		if to, err := netip.ParseAddrPort(addr); err != nil || to.Addr().Unmap().Is4() == from.Is4() {
			d.LocalAddr = &net.TCPAddr{IP: from.AsSlice(), Zone: from.Zone()}
		}
		return d.DialContext(ctx, network, addr)
	}
	opts.ListenPacket = func(network, _ string) (net.PacketConn, error) {
		return net.ListenPacket(network, net.JoinHostPort(from.String(), "0"))
	}
	return opts
}
