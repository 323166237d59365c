package swarm

import (
	"slices"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// Super-seeding (BEP 16, AddOptions.SuperSeed) for an initial seed: the
// seed advertises no pieces (no bitfield, HaveNone), so leechers take it
// for one of them and send it their Haves; it offers each peer pieces (by
// Haves, superDepth at a time, with an unchoke) that no peer has yet,
// serves each peer only the pieces it offered that peer (other requests
// are rejected, or ignored without the fast extension), and replaces an
// offer once the peer has the piece and it was seen at some other peer,
// so every upload is a new piece for the swarm and the leechers trade the
// rest among themselves. BEP 16 offers one piece at a time; libtorrent
// two, as here. A peer alone with the seed, or whose piece nobody took
// for superPatience, gets the next as soon as it has the last. An offer
// the peer did not ask for within superPatience (a piece it does not
// want: a file it skipped) goes back to be offered to another peer, so
// that it cannot hold the swarm's last pieces.
//
// Only pieces no peer was seen with, and that no other live peer was
// offered, are offered; a piece is offered again only when the peer it
// was offered to leaves before it had it, or never asked for it. So the seed uploads no piece
// twice before it uploaded every piece once (a peer that leaves in the
// middle of a piece aside).
//
// Once every piece was seen at a peer the seed falls back to normal
// seeding for good: each peer hears a Have for every piece it was not
// offered, and may ask for any. Super-seeding applies to a torrent that
// has every piece when its content opens (an initial seed); one that
// completes by downloading seeds normally, and a super-seed that loses a
// piece (a file edited, a check) falls back.
//
// The state is the loop's, in choker.super; the pieces a peer may request
// are in its superOK, under p.mu, which its reader checks.
type superSeed struct {
	holder []pieces.Peer                // per piece: the live peer it is offered to, or noHolder
	offer  map[pieces.Peer][]superOffer // per joined peer: at most superDepth, not yet spread
	seen   pieces.Bitfield              // at some peer: uploaded, or brought
	nSeen  int
	nFree  int  // pieces neither seen nor offered to a live peer
	done   bool // fell back to normal seeding
	next   int  // where the next search for a piece starts: spreads offers
}

type superOffer struct {
	piece pieces.Index
	at    time.Time
}

const noHolder pieces.Peer = -1

// superDepth: the offers a peer holds at once that have not spread. Two,
// as libtorrent does: with one, a leecher idles through the round trips
// of its piece's spread (its Have to a peer, that peer's request and
// download, its Have to us) before it can ask for the next.
const superDepth = 2

// superPatience: how long a peer's offer may stay unspread before the peer
// gets another anyway (its peers may not be connected to it). Waiting only
// shares the seed's upload fairly; it never makes a piece go out twice.
var superPatience = 30 * time.Second // tests shorten it

// startSuperSeed begins super-seeding at adopt when asked for and every
// piece is here.
func (t *torrent) startSuperSeed(c *content) {
	if !t.opts.SuperSeed || !t.completed || !allHave(c) {
		return
	}
	n := c.info.NumPieces()
	ss := &superSeed{holder: make([]pieces.Peer, n), offer: map[pieces.Peer][]superOffer{}, seen: pieces.NewBitfield(n), nFree: n}
	for i := range ss.holder {
		ss.holder[i] = noHolder
	}
	t.choker.super = ss
	t.log.Info("Super-seeding: offering each peer pieces nobody has, two at a time")
}

// superSeeding returns the BEP 16 state while super-seeding, nil when the
// torrent seeds normally.
func (t *torrent) superSeeding() *superSeed {
	ss := t.choker.super
	if ss == nil || ss.done {
		return nil
	}
	if !t.completed { // a piece withdrawn, or a check failed one
		t.superFallBack(ss)
		return nil
	}
	return ss
}

// superJoined starts a new peer's super-seeding: no pieces advertised
// (sendInitial), requests limited to what it is offered, and its first
// offers.
func (t *torrent) superJoined(p *peer) {
	ss := t.superSeeding()
	if ss == nil {
		return
	}
	p.mu.Lock()
	p.superOK = pieces.NewBitfield(ss.seen.Len())
	p.superAsked = pieces.NewBitfield(ss.seen.Len())
	p.mu.Unlock()
	ss.offer[pieces.Peer(p.id)] = nil // joined: it may be offered pieces
	t.superSaw(p, -1)                 // what it said before we had the content
	t.superRefresh()
}

// superSaw records that p has piece i (a Have), or, with i < 0, every
// piece the picker knows it has.
func (t *torrent) superSaw(p *peer, i pieces.Index) {
	ss := t.superSeeding()
	if ss == nil {
		return
	}
	see := func(j pieces.Index) {
		if !ss.seen.Has(j) {
			ss.seen.Set(j)
			ss.nSeen++
			if ss.holder[j] == noHolder {
				ss.nFree--
			}
		}
	}
	if i >= 0 {
		see(i)
		return
	}
	for j := range ss.seen.Len() {
		if t.picker.PeerHas(pieces.Peer(p.id), j) {
			see(j)
		}
	}
}

// superNoticed: p said it has piece i (i < 0: its bitfield), after the
// picker heard it; the offers that freed are handed out.
func (t *torrent) superNoticed(p *peer, i pieces.Index) {
	t.superSaw(p, i)
	t.superRefresh()
}

// superLeft releases what the leaving peer was offered and did not get.
func (t *torrent) superLeft(p *peer) {
	ss := t.superSeeding()
	if ss == nil {
		return
	}
	pr := pieces.Peer(p.id)
	for _, o := range ss.offer[pr] {
		t.superRelease(ss, pr, o.piece)
	}
	delete(ss.offer, pr)
	t.superRefresh()
}

// superRelease makes piece i, offered to pr, free to offer to another peer
// if nobody has it yet.
func (t *torrent) superRelease(ss *superSeed, pr pieces.Peer, i pieces.Index) {
	if ss.holder[i] == pr {
		ss.holder[i] = noHolder
		if !ss.seen.Has(i) {
			ss.nFree++
		}
	}
}

func (p *peer) superAskedFor(i pieces.Index) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.superAsked.Len() > 0 && p.superAsked.Has(i)
}

// superRefresh falls back once every piece was seen; otherwise it drops
// each peer's offers that spread (the peer has the piece, and another
// peer too, or it is the seed's only peer, or superPatience passed) and
// tops its offers up to superDepth. The loop also calls it at every choke
// tick, for the patience.
func (t *torrent) superRefresh() {
	ss := t.superSeeding()
	if ss == nil {
		return
	}
	if ss.nSeen == ss.seen.Len() {
		t.superFallBack(ss)
		return
	}
	now := time.Now()
	for _, p := range t.peers {
		pr := pieces.Peer(p.id)
		held, joined := ss.offer[pr]
		if !joined {
			continue // connected before the content opened: adopt joins it next
		}
		keep := held[:0]
		for _, o := range held {
			has, late := t.picker.PeerHas(pr, o.piece), now.Sub(o.at) >= superPatience
			switch {
			case !has && late && !p.superAskedFor(o.piece):
				t.superRelease(ss, pr, o.piece) // it does not want it; it may still ask
			case !has || (t.picker.Availability(o.piece) < 2 && len(t.peers) > 1 && !late):
				keep = append(keep, o) // not spread yet
			}
		}
		ss.offer[pr] = keep
		for len(ss.offer[pr]) < superDepth && ss.nFree > 0 {
			if !t.superOffer(ss, p, now) {
				break // the free pieces are at p already
			}
		}
	}
}

// superOffer offers p a piece no peer has and no live peer was offered:
// each such piece still needs its first upload. If none is left that p
// lacks, p waits for one to be released or for the fall-back; it reports
// whether p got one.
func (t *torrent) superOffer(ss *superSeed, p *peer, now time.Time) bool {
	pr := pieces.Peer(p.id)
	n := ss.seen.Len()
	p.mu.Lock()
	told := p.superOK.Clone() // offered before: it did not take it
	p.mu.Unlock()
	for k := range n {
		i := (ss.next + k) % n
		if ss.seen.Has(i) || ss.holder[i] != noHolder || t.picker.PeerHas(pr, i) || told.Has(i) {
			continue
		}
		ss.next = i + 1
		ss.holder[i] = pr
		ss.nFree--
		ss.offer[pr] = append(ss.offer[pr], superOffer{piece: i, at: now})
		p.mu.Lock()
		p.superOK.Set(i)
		p.mu.Unlock()
		p.send(func(b []byte) []byte { return appendIndex(b, pp.Have, uint32(i)) })
		// Unchoked with the offer: it requests as soon as the Have tells
		// it, a round trip sooner than after its Interested.
		t.unchoke(p)
		return true
	}
	return false
}

// superChokes unchokes, while super-seeding, every peer interested or
// holding an offer it lacks, above the slots: each may take only the
// piece it was offered, so the offers already share the uplink, and a
// peer kept waiting for a slot held up its piece's spread, and so its next
// offer (a 2 s choke round per piece: 0.5 MB/s of an 8 MB/s uplink with
// 50 leechers).
func (t *torrent) superChokes(ss *superSeed, ps []*peer, cs []chokePeer) []bool {
	unchoke := make([]bool, len(ps))
	for i, p := range ps {
		pr := pieces.Peer(p.id)
		unchoke[i] = cs[i].interested || slices.ContainsFunc(ss.offer[pr], func(o superOffer) bool { return !t.picker.PeerHas(pr, o.piece) })
	}
	return unchoke
}

// superFallBack ends super-seeding: every piece is out in the swarm (or
// we lost one). Each peer hears a Have for every piece we have that it was
// not offered (so it counts us a seed), and may ask for anything.
func (t *torrent) superFallBack(ss *superSeed) {
	ss.done = true
	t.log.Info("Super-seeding done; seeding normally", "piecesSeen", ss.nSeen, "of", ss.seen.Len())
	c := t.data.Load()
	for _, p := range t.peers {
		p.mu.Lock()
		told := p.superOK
		p.superOK, p.superAsked = pieces.Bitfield{}, pieces.Bitfield{}
		p.mu.Unlock()
		var b []byte
		for i := range ss.seen.Len() {
			if c != nil && c.has(i) && (told.Len() == 0 || !told.Has(i)) {
				b = appendIndex(b, pp.Have, uint32(i))
			}
		}
		if len(b) > 0 {
			p.send(func(out []byte) []byte { return append(out, b...) })
		}
	}
}
