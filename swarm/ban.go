package swarm

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// bans is the torrent's record of bad peers, owned by its goroutine.
type bans struct {
	addrs map[netip.AddrPort]BannedPeer // refused, and why
	ids   map[[20]byte]bool             // peer ids of banned peers: refused from any address
	blame map[netip.AddrPort]*blameRec  // what each address did to pieces
	// failed are pieces that failed their hash and are not yet
	// re-verified (the snapshot shows them).
	failed map[int]bool
	// leaves are failed v2 pieces waiting for their leaf hashes, to
	// pin the bad blocks on their senders (blockblame.go).
	leaves map[int]*leafCheck
}

// blameRec is what one peer address did to pieces, to spot corrupters.
type blameRec struct {
	good, bad int
	// suspectSince is set when the peer shared in a piece that failed and
	// cleared when a piece it sent verifies (or smart ban clears it).
	suspectSince time.Time
	// sums are hashes of the blocks it sent of pieces that failed, kept
	// until those pieces verify (smart ban, smartban.go).
	sums []blockSum
}

// suspectFor bounds how long a suspect gets no requests while trusted
// peers fetch the failed piece; after it, the suspect is on probation
// again, so a swarm with nobody else cannot stall.
const suspectFor = 10 * time.Second

// Ban rules, in the order they act:
//   - per-block blame (blockblame.go, v2 and hybrid pieces several peers
//     sent): the failed piece's leaves, fetched from a v2 peer, name the
//     bad blocks; their senders are banned at once, the others not blamed;
//   - smart ban (smartban.go): when a piece that failed later verifies, a
//     peer whose earlier copy of one of its blocks differs from the good
//     one sent a corrupt block, and is banned at once; the others had sent
//     good blocks, and that failure no longer counts against them;
//   - a peer that alone sent every block of a piece that failed its hash is
//     banned at once;
//   - a peer that shared in failed pieces with others is banned when it
//     has shared in at least 3 failures and they are more than half of the
//     pieces it contributed to, so honest peers that happened to share a
//     piece with a corrupter survive on their good record.
//
// Waste is contained by probation (request): until a piece it sent
// verifies, a peer works on one piece at a time, one only it fetches when
// there is one, so its first lie fails a piece it sent alone. The senders
// of a shared failure are suspects: no new requests while trusted peers
// fetch the piece again and smart ban names the liar, then probation.
func (t *torrent) blameFailed(i int, senders []pieces.Peer) {
	from, frozen, _ := t.picker.LastFailed(i)
	t.chargeWaste(from, i)
	if frozen {
		// Reset by DropFrom after a ban (pieceReset): not a hash verdict.
		// handleHashed counted the whole piece as wasted; only what had
		// arrived was.
		c := t.data.Load()
		t.xfer.wasted.Add(receivedBytes(c.info, i, from) - c.info.PieceSize(i))
		return
	}
	t.recordSums(i, from)
	for _, s := range senders {
		if info, ok := t.ids.of[s]; ok && t.isBanned(info.addr) {
			// A banned sender explains the failure; its blocks in this
			// piece were not yet dropped because the piece was complete.
			return
		}
	}
	for _, s := range senders {
		info, ok := t.ids.of[s]
		if !ok {
			continue
		}
		b := t.blameOf(info.addr)
		b.bad++
		switch {
		case len(senders) == 1:
			t.ban(info, fmt.Sprintf("sent piece %d alone and it failed its hash", i))
		case b.bad >= 3 && b.bad*2 > b.good+b.bad:
			t.ban(info, fmt.Sprintf("shared in %d pieces that failed their hash (%d good)", b.bad, b.good))
		default:
			t.suspect(info.addr, b)
		}
	}
}

func (t *torrent) creditVerified(senders []pieces.Peer) {
	for _, s := range senders {
		if info, ok := t.ids.of[s]; ok {
			b := t.blameOf(info.addr)
			b.good++
			b.suspectSince = time.Time{}
		}
	}
	t.smartBan()
	for _, s := range senders {
		if p := t.peers[s]; p != nil {
			// Off probation, or a piece deeper: its pipeline may have
			// run dry waiting for this hash.
			t.request(p)
		}
	}
}

func (t *torrent) blameOf(a netip.AddrPort) *blameRec {
	b := t.bans.blame[a]
	if b == nil {
		b = &blameRec{}
		t.bans.blame[a] = b
	}
	return b
}

// suspect stops giving new requests to the peer at address a while the
// failed piece is fetched again by others; its pending requests are left
// to arrive: cancelling them would waste an honest suspect's pipeline.
func (t *torrent) suspect(a netip.AddrPort, b *blameRec) {
	b.suspectSince = time.Now()
	t.log.Debug("Peer suspected", "addr", a.String(), "bad", b.bad, "good", b.good)
}

// trust says how far requests to p may spread: on probation, one piece;
// idle (a suspect while trusted peers can fetch instead), none.
func (t *torrent) trust(p *peer) (probation, idle bool) {
	b := t.bans.blame[p.nc.addr]
	if b == nil {
		return true, false
	}
	suspect := !b.suspectSince.IsZero()
	if suspect && time.Since(b.suspectSince) < suspectFor && t.othersTrusted(p) {
		return true, true
	}
	return b.good == 0 || suspect, false
}

// othersTrusted reports whether a trusted peer other than p can be asked:
// only then may a suspect wait for it.
func (t *torrent) othersTrusted(p *peer) bool {
	for _, o := range t.peers {
		if o == p || o.peerChoking {
			continue
		}
		if b := t.bans.blame[o.nc.addr]; b != nil && b.good > 0 && b.suspectSince.IsZero() {
			return true
		}
	}
	return false
}

type peerIdent struct {
	addr   netip.AddrPort
	peerID [20]byte
}

func (t *torrent) ban(who peerIdent, reason string) {
	if _, ok := t.bans.addrs[who.addr]; ok {
		return
	}
	t.log.Warn("Peer banned", "addr", who.addr.String(), "reason", reason)
	t.bans.addrs[who.addr] = BannedPeer{Addr: who.addr.String(), Reason: reason, At: time.Now()}
	t.bans.ids[who.peerID] = true
	if b := t.bans.blame[who.addr]; b != nil {
		b.sums = nil
	}
	t.dropPoisoned(who)
	for _, p := range t.peers {
		if p.nc.addr == who.addr || p.nc.peerID == who.peerID {
			t.removePeer(p, fmt.Errorf("banned: %s", reason))
		}
	}
	t.s.emit(Event{Kind: EventPeerBanned, InfoHash: t.ih, Name: t.name(), Peer: who.addr.String(), Msg: reason})
}
