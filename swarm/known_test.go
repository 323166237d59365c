package swarm

import (
	"log/slog"
	"net/netip"
	"testing"
)

func knownAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 1)
}

// A PEX flood must not lock out the peers a tracker or the DHT names
// later, and dead addresses must make way.
func TestKnown_FloodDoesNotLockOut(t *testing.T) {
	tr := &torrent{known: knownPeers{addrs: map[netip.AddrPort]*knownPeer{}}, s: &Session{}, log: slog.New(slog.DiscardHandler)}
	for i := range 3 * maxKnown {
		tr.addKnown(knownAddr(i), SourcePEX)
	}
	if len(tr.known.addrs) != maxKnown {
		t.Fatalf("%d known after the flood, want the cap %d", len(tr.known.addrs), maxKnown)
	}
	// More PEX does not push out untried PEX: first come stays.
	tr.addKnown(knownAddr(5*maxKnown), SourcePEX)
	if _, ok := tr.known.addrs[knownAddr(5*maxKnown)]; ok {
		t.Fatal("PEX displaced untried PEX")
	}
	// A tracker's peer gets in over an untried PEX address.
	real := netip.MustParseAddrPort("127.0.0.1:6881")
	tr.addKnown(real, SourceTracker)
	if _, ok := tr.known.addrs[real]; !ok || len(tr.known.addrs) != maxKnown {
		t.Fatalf("tracker peer known: %v; %d known", ok, len(tr.known.addrs))
	}
	// Once every entry is a tracker's, PEX gets in only over failures.
	tr.known.addrs = map[netip.AddrPort]*knownPeer{}
	for i := range maxKnown {
		tr.addKnown(knownAddr(i), SourceTracker)
	}
	tr.addKnown(real, SourcePEX)
	if _, ok := tr.known.addrs[real]; ok {
		t.Fatal("PEX displaced a tracker's untried peer")
	}
	tr.known.addrs[knownAddr(7)].fails = 1
	tr.known.addrs[knownAddr(9)].fails = 3
	tr.known.addrs[knownAddr(11)].fails = 2
	tr.known.addrs[knownAddr(11)].connected = true
	tr.addKnown(real, SourcePEX)
	if _, ok := tr.known.addrs[real]; !ok {
		t.Fatal("a failing address did not make way")
	}
	if _, ok := tr.known.addrs[knownAddr(9)]; ok {
		t.Fatal("evicted something other than the address that failed most")
	}
}

// Addresses that keep failing are forgotten, except those the user gave.
func TestKnown_ForgetAfterFails(t *testing.T) {
	tr := &torrent{known: knownPeers{addrs: map[netip.AddrPort]*knownPeer{}}, s: &Session{}, log: slog.New(slog.DiscardHandler)}
	tracked, manual := knownAddr(1), knownAddr(2)
	tr.addKnown(tracked, SourceTracker)
	tr.addKnown(manual, SourceManual)
	for range forgetAfterFails {
		for _, a := range []netip.AddrPort{tracked, manual} {
			if k := tr.known.addrs[a]; k != nil {
				k.dialing = true
				tr.known.dialing++
				tr.dialDone(a, errBothSeeds)
			}
		}
	}
	if _, ok := tr.known.addrs[tracked]; ok {
		t.Errorf("an address that failed %d times is still known", forgetAfterFails)
	}
	if _, ok := tr.known.addrs[manual]; !ok {
		t.Error("an address the user gave was forgotten")
	}
}
