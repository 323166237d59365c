package swarm

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// blameRec counts the pieces a peer contributed to, to spot corrupters.
type blameRec struct {
	good, bad int
}

// Ban rule: a peer that alone sent every block of a piece that failed its
// hash is banned at once. A peer that shared in failed pieces with others
// is banned when it has shared in at least 3 failures and they are more
// than half of the pieces it contributed to, so honest peers that happened
// to share a piece with a corrupter survive on their good record.
func (t *torrent) blameFailed(i int, senders []pieces.Peer) {
	for _, s := range senders {
		info, ok := t.peerIDs[s]
		if !ok {
			continue
		}
		b := t.blame[info.addr]
		if b == nil {
			b = &blameRec{}
			t.blame[info.addr] = b
		}
		b.bad++
		switch {
		case len(senders) == 1:
			t.ban(info, fmt.Sprintf("sent piece %d alone and it failed its hash", i))
		case b.bad >= 3 && b.bad*2 > b.good+b.bad:
			t.ban(info, fmt.Sprintf("shared in %d pieces that failed their hash (%d good)", b.bad, b.good))
		}
	}
}

func (t *torrent) creditVerified(senders []pieces.Peer) {
	for _, s := range senders {
		if info, ok := t.peerIDs[s]; ok {
			b := t.blame[info.addr]
			if b == nil {
				b = &blameRec{}
				t.blame[info.addr] = b
			}
			b.good++
		}
	}
}

type peerIdent struct {
	addr   netip.AddrPort
	peerID [20]byte
}

func (t *torrent) ban(who peerIdent, reason string) {
	if _, ok := t.banned[who.addr]; ok {
		return
	}
	t.log.Warn("Peer banned", "addr", who.addr.String(), "reason", reason)
	t.banned[who.addr] = BannedPeer{Addr: who.addr.String(), Reason: reason, At: time.Now()}
	t.bannedID[who.peerID] = true
	for _, p := range t.peers {
		if p.nc.addr == who.addr || p.nc.peerID == who.peerID {
			t.removePeer(p, fmt.Errorf("banned: %s", reason))
		}
	}
	t.s.emit(Event{Kind: EventPeerBanned, InfoHash: t.ih, Name: t.name(), Peer: who.addr.String(), Msg: reason})
}
