package testnet

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// UDPTracker is a minimal BEP 15 tracker on 127.0.0.1 for tests.
type UDPTracker struct {
	URL string

	mu        sync.Mutex
	peers     map[[20]byte]map[netip.AddrPort]bool
	announces int
}

// StartUDPTracker serves a UDPTracker until the test ends.
func StartUDPTracker(t testing.TB) *UDPTracker {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &UDPTracker{URL: "udp://" + pc.LocalAddr().String() + "/announce", peers: map[[20]byte]map[netip.AddrPort]bool{}}
	var wg sync.WaitGroup
	wg.Go(func() { tr.serve(pc) })
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return tr
}

// Announces is the number of announce requests answered.
func (tr *UDPTracker) Announces() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.announces
}

const (
	udpConnect  = 0
	udpAnnounce = 1
	udpMagic    = 0x41727101980
)

func (tr *UDPTracker) serve(pc net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		if len(b) < 16 {
			continue
		}
		action, txid := binary.BigEndian.Uint32(b[8:12]), b[12:16]
		var out []byte
		switch {
		case action == udpConnect && binary.BigEndian.Uint64(b[:8]) == udpMagic:
			out = binary.BigEndian.AppendUint32(nil, udpConnect)
			out = append(out, txid...)
			out = binary.BigEndian.AppendUint64(out, 0x1234) // connection id
		case action == udpAnnounce && len(b) >= 98:
			var ih [20]byte
			copy(ih[:], b[16:36])
			event := binary.BigEndian.Uint32(b[80:84])
			port := binary.BigEndian.Uint16(b[96:98])
			ip := from.(*net.UDPAddr).AddrPort().Addr().Unmap()
			me := netip.AddrPortFrom(ip, port)
			tr.mu.Lock()
			tr.announces++
			set := tr.peers[ih]
			if set == nil {
				set = map[netip.AddrPort]bool{}
				tr.peers[ih] = set
			}
			out = binary.BigEndian.AppendUint32(nil, udpAnnounce)
			out = append(out, txid...)
			out = binary.BigEndian.AppendUint32(out, 1)                // interval
			out = binary.BigEndian.AppendUint32(out, 0)                // leechers
			out = binary.BigEndian.AppendUint32(out, uint32(len(set))) // seeders
			for p := range set {
				if p != me && p.Addr().Is4() {
					out = append(out, p.Addr().AsSlice()...)
					out = binary.BigEndian.AppendUint16(out, p.Port())
				}
			}
			if event == 3 { // stopped
				delete(set, me)
			} else {
				set[me] = true
			}
			tr.mu.Unlock()
		default:
			continue
		}
		pc.WriteTo(out, from)
	}
}
