package tracker

import (
	"encoding/binary"
	"net/netip"
)

// UDPAction is a BEP 15 action number.
type UDPAction uint32

const (
	ActionConnect  UDPAction = 0
	ActionAnnounce UDPAction = 1
	ActionScrape   UDPAction = 2
	ActionError    UDPAction = 3
)

// udpProtocolID is the magic a connect request starts with.
const udpProtocolID = 0x41727101980

const (
	udpHeaderLen      = 16
	udpAnnounceLen    = 98
	maxUDPScrape      = 74 // what fits one 1500-byte response (BEP 15)
	maxURLDataLen     = 1024
	bep41EndOfOptions = 0
	bep41NOP          = 1
	bep41URLData      = 2
)

// UDPRequest is one parsed BEP 15 request packet.
type UDPRequest struct {
	ConnID     uint64 // the protocol id for a connect
	Action     UDPAction
	TxID       uint32
	Announce   AnnounceRequest // ActionAnnounce only
	InfoHashes []InfoHash      // ActionScrape only
	URLData    string          // BEP 41: path and query of the announce URL, e.g. "/announce/KEY"
}

// ParseUDP parses one request packet. When the packet is long enough to carry
// a transaction id, the returned request has Action and TxID set even if err
// is not nil, so the caller can answer with an error packet.
func ParseUDP(b []byte) (UDPRequest, error) {
	var req UDPRequest
	if len(b) < udpHeaderLen {
		return req, badRequest("packet too short")
	}
	req.ConnID = binary.BigEndian.Uint64(b[0:8])
	req.Action = UDPAction(binary.BigEndian.Uint32(b[8:12]))
	req.TxID = binary.BigEndian.Uint32(b[12:16])
	switch req.Action {
	case ActionConnect:
		if req.ConnID != udpProtocolID {
			return req, badRequest("bad protocol id")
		}
		return req, nil
	case ActionAnnounce:
		return parseUDPAnnounce(b, req)
	case ActionScrape:
		n := (len(b) - udpHeaderLen) / 20
		if n == 0 {
			return req, badRequest("scrape without info_hash")
		}
		if n > maxUDPScrape {
			return req, badRequest("too many info_hash")
		}
		req.InfoHashes = make([]InfoHash, n)
		for i := range n {
			copy(req.InfoHashes[i][:], b[udpHeaderLen+20*i:])
		}
		return req, nil
	}
	return req, badRequest("unknown action")
}

func parseUDPAnnounce(b []byte, req UDPRequest) (UDPRequest, error) {
	if len(b) < udpAnnounceLen {
		return req, badRequest("announce too short")
	}
	a := &req.Announce
	copy(a.InfoHash[:], b[16:36])
	copy(a.PeerID[:], b[36:56])
	a.Downloaded = countFromInt(int64(binary.BigEndian.Uint64(b[56:64])))
	// A negative left is malformed, as in ParseAnnounce: anacrolix's UDP
	// client sends -1 for a magnet without metadata, which a tracker cannot
	// count; a client should send a large positive left instead.
	left := int64(binary.BigEndian.Uint64(b[64:72]))
	if left < 0 {
		return req, badRequest("negative left")
	}
	a.Left = uint64(left)
	a.Uploaded = countFromInt(int64(binary.BigEndian.Uint64(b[72:80])))
	ev := binary.BigEndian.Uint32(b[80:84])
	if ev <= uint32(EventStopped) {
		a.Event = Event(ev)
	}
	if ip := binary.BigEndian.Uint32(b[84:88]); ip != 0 {
		a.IP = netip.AddrFrom4([4]byte(b[84:88]))
	}
	// b[88:92] is the key, which we do not use: the source address identifies the peer.
	nw := int32(binary.BigEndian.Uint32(b[92:96]))
	switch {
	case nw < 0:
		a.NumWant = -1
	default:
		a.NumWant = min(nw, maxNumWant)
	}
	a.Port = binary.BigEndian.Uint16(b[96:98])
	a.Compact = true
	if a.Port == 0 {
		return req, badRequest("invalid port")
	}
	url, err := parseBEP41(b[udpAnnounceLen:])
	if err != nil {
		return req, err
	}
	req.URLData = url
	return req, nil
}

func countFromInt(n int64) uint64 { return uint64(max(n, 0)) }

// parseBEP41 concatenates the URLData options (BEP 41). Unknown option types
// carry a length byte and are skipped.
func parseBEP41(b []byte) (string, error) {
	var url []byte
	for len(b) > 0 {
		typ := b[0]
		b = b[1:]
		switch typ {
		case bep41EndOfOptions:
			return string(url), nil
		case bep41NOP:
			continue
		}
		if len(b) == 0 {
			return "", badRequest("truncated option")
		}
		n := int(b[0])
		b = b[1:]
		if n > len(b) {
			return "", badRequest("truncated option")
		}
		if typ == bep41URLData {
			if len(url)+n > maxURLDataLen {
				return "", badRequest("url data too long")
			}
			url = append(url, b[:n]...)
		}
		b = b[n:]
	}
	return string(url), nil
}

// AppendUDP encodes req as a request packet; ParseUDP reads it back.
func AppendUDP(b []byte, req UDPRequest) []byte {
	b = binary.BigEndian.AppendUint64(b, req.ConnID)
	b = binary.BigEndian.AppendUint32(b, uint32(req.Action))
	b = binary.BigEndian.AppendUint32(b, req.TxID)
	switch req.Action {
	case ActionAnnounce:
		a := req.Announce
		b = append(b, a.InfoHash[:]...)
		b = append(b, a.PeerID[:]...)
		b = binary.BigEndian.AppendUint64(b, min(a.Downloaded, 1<<63-1))
		b = binary.BigEndian.AppendUint64(b, min(a.Left, 1<<63-1))
		b = binary.BigEndian.AppendUint64(b, min(a.Uploaded, 1<<63-1))
		b = binary.BigEndian.AppendUint32(b, uint32(a.Event))
		var ip [4]byte
		if a.IP.Is4() {
			ip = a.IP.As4()
		}
		b = append(b, ip[:]...)
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(a.NumWant))
		b = binary.BigEndian.AppendUint16(b, a.Port)
		for u := req.URLData; u != ""; {
			n := min(len(u), 255)
			b = append(b, bep41URLData, byte(n))
			b = append(b, u[:n]...)
			u = u[n:]
		}
		if req.URLData != "" {
			b = append(b, bep41EndOfOptions)
		}
	case ActionScrape:
		for _, ih := range req.InfoHashes {
			b = append(b, ih[:]...)
		}
	}
	return b
}
