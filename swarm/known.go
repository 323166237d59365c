package swarm

import "net/netip"

// Known peers are capped, and the cap must not become a lock: PEX lets any
// connected peer name thousands of addresses, and if those were kept
// first-come, a flood of dead ones would leave no room for the real peers
// a tracker or the DHT hands out later (an eclipse).
const (
	maxKnown = 2000
	// forgetAfterFails drops an address after this many failed dials in a
	// row (about 8 minutes of backing off: dialBackoff).
	forgetAfterFails = 8
)

// knownPeers are the addresses the torrent may dial, from its sources,
// and how many dials are under way. The loop's.
type knownPeers struct {
	addrs   map[netip.AddrPort]*knownPeer
	dialing int
}

// evictKnown makes room for one address from src, and reports whether it
// did. It removes the idle entry that failed most often; failing that, an
// address PEX named that was never reached, but only to make room for one
// from a source that vouches more (not for more PEX).
func (t *torrent) evictKnown(src Source) bool {
	var victim, untried *knownPeer
	var victimAddr, untriedAddr netip.AddrPort
	for a, k := range t.known.addrs {
		if k.connected || k.dialing {
			continue
		}
		if k.fails > 0 && (victim == nil || k.fails > victim.fails) {
			victim, victimAddr = k, a
		}
		if untried == nil && k.fails == 0 && k.source == SourcePEX {
			untried, untriedAddr = k, a
		}
	}
	switch {
	case victim != nil:
		delete(t.known.addrs, victimAddr)
	case untried != nil && src != SourcePEX:
		delete(t.known.addrs, untriedAddr)
	default:
		return false
	}
	return true
}
