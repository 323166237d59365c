package pieces

import (
	"math/rand/v2"
	"slices"
)

// BlockSize is the request size every client uses: 16 KiB.
const BlockSize = 16 * 1024

// Peer names a peer to the Picker; the engine assigns the numbers.
type Peer int

// Block is a request: Length bytes at Begin in piece Piece.
type Block struct {
	Piece  Index
	Begin  int
	Length int
}

// Cancel is a duplicate request to withdraw: Block was asked of Peer in
// endgame and has now arrived from somebody else.
type Cancel struct {
	Peer  Peer
	Block Block
}

// Picker decides which blocks to ask of which peer. It is pure policy: no
// goroutines, no locks, no I/O; its owner (the torrent's goroutine)
// serializes every call.
//
// Inputs to keep current, or picks go wrong:
//   - what peers hold: HandleBitfield, HandleHaveAll, HandleHave, HandleDisconnect
//   - whether they let us ask: HandleChoke, HandleUnchoke, HandleAllowedFast
//   - what we hold: HandleBlock, HandleVerified, HandleFailed
//   - what we want: SetPriority
//
// Policy: pieces a reader waits for first (SetDeadline), then pieces
// already started are finished (fewer partial pieces on disk and in
// memory; of a seed, only those no other peer has), then new pieces are
// chosen by priority, then rarest first with
// a random tie-break (inside a sliding window in sequential mode, see
// picker_stream.go). Once every missing block has been
// asked of someone, endgame duplicates requests (at most maxDup askers per
// block) and HandleBlock returns the duplicates to cancel.
type Picker struct {
	numPieces int
	pieceLen  int64
	totalLen  int64

	have    []bool
	prio    []int8 // PrioritySkip (-1) excludes a piece
	avail   []int  // peers holding a piece, not counting have-all peers
	seeds   int    // have-all peers
	missing int    // wanted pieces not yet verified
	fresh   bitset // wanted and not started: what pickNew may start

	peers   map[Peer]*pickPeer
	partial []*partialPiece // by piece; nil when not started
	order   []Index         // partial pieces, oldest first
	rnd     *rand.Rand

	// lastFailed is the per-block senders of the piece HandleFailed last
	// reset, kept for the caller's blame (smart ban) until the next one.
	lastFailed failedPiece

	// Streaming (picker_stream.go): the sequential window and the pieces
	// readers wait for.
	seqWindow int
	seqFrom   Index
	urgent    []urgentPiece
}

const (
	maxDup       = 2 // askers per block in endgame
	endgameQueue = 2 // duplicates asked of an idle peer at a time
)

type pickPeer struct {
	has    bitset
	all    bool
	choked bool
	fast   map[Index]bool
	reqs   map[Block]struct{}
	// probation confines the peer to one piece (piece) until the caller
	// lifts it: see SetProbation.
	probation bool
	piece     Index
}

type partialPiece struct {
	blocks      []blockState
	received    int
	unrequested int
	frozen      bool // DropFrom: no more picks; awaits HandleFailed
	// owner is the peer on probation this piece was started for (NoPeer
	// if none): while it has requests pending, others leave the piece to
	// it, so that a lie fails a piece with one sender.
	owner Peer
}

type blockState struct {
	received bool
	from     Peer
	askers   []Peer
}

// NewPicker returns a Picker for a torrent of numPieces pieces of pieceLen
// bytes (the last one short) totalling totalLen bytes, with nothing held
// and every piece wanted. seed makes the random tie-break reproducible.
func NewPicker(numPieces int, pieceLen, totalLen int64, seed uint64) *Picker {
	p := &Picker{
		numPieces:  numPieces,
		pieceLen:   pieceLen,
		totalLen:   totalLen,
		have:       make([]bool, numPieces),
		prio:       make([]int8, numPieces),
		avail:      make([]int, numPieces),
		missing:    numPieces,
		peers:      make(map[Peer]*pickPeer),
		partial:    make([]*partialPiece, numPieces),
		rnd:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		lastFailed: failedPiece{piece: -1},
		fresh:      newBitset(numPieces),
	}
	for i := range numPieces {
		p.fresh.set(i)
	}
	return p
}

func (p *Picker) pieceSize(i Index) int {
	if i == p.numPieces-1 {
		return int(p.totalLen - int64(i)*p.pieceLen)
	}
	return int(p.pieceLen)
}

func (p *Picker) numBlocks(i Index) int {
	return (p.pieceSize(i) + BlockSize - 1) / BlockSize
}

func (p *Picker) block(i Index, b int) Block {
	begin := b * BlockSize
	return Block{Piece: i, Begin: begin, Length: min(BlockSize, p.pieceSize(i)-begin)}
}

func (p *Picker) wanted(i Index) bool { return !p.have[i] && p.prio[i] >= 0 }

// refresh puts piece i in fresh or takes it out, after a change to what
// fresh depends on.
func (p *Picker) refresh(i Index) { p.fresh.put(i, p.wanted(i) && p.partial[i] == nil) }

// SetPriority sets piece i's priority: -1 skips it, higher goes first.
func (p *Picker) SetPriority(i Index, prio int8) {
	was := p.wanted(i)
	p.prio[i] = prio
	p.seqBack(i)
	p.refresh(i)
	if now := p.wanted(i); was != now {
		if now {
			p.missing++
		} else {
			p.missing--
		}
	}
}

// Priority returns piece i's priority.
func (p *Picker) Priority(i Index) int8 { return p.prio[i] }

// SetHave marks piece i as held without a download (checked on disk).
func (p *Picker) SetHave(i Index) {
	if p.have[i] {
		return
	}
	if p.wanted(i) {
		p.missing--
	}
	p.have[i] = true
	p.dropPartial(i)
	p.refresh(i)
}

// Have reports whether piece i is verified.
func (p *Picker) Have(i Index) bool { return p.have[i] }

// Unhave marks piece i missing again: a check of the disk found that it no
// longer matches. It is then wanted, by its priority, like any other.
func (p *Picker) Unhave(i Index) {
	if !p.have[i] {
		return
	}
	p.have[i] = false
	if p.wanted(i) {
		p.missing++
	}
	p.refresh(i)
}

// Done reports whether every wanted piece is verified.
func (p *Picker) Done() bool { return p.missing == 0 }

// Missing is the number of wanted pieces not verified.
func (p *Picker) Missing() int { return p.missing }

// Availability is the number of known peers holding piece i.
func (p *Picker) Availability(i Index) int { return p.avail[i] + p.seeds }

// InFlight reports whether piece i has blocks requested or received.
func (p *Picker) InFlight(i Index) bool { return p.started(i) != nil }

// started is piece i's partial state, nil when it is not started or i is
// out of range (callers pass indexes from the network).
func (p *Picker) started(i Index) *partialPiece {
	if uint(i) < uint(len(p.partial)) {
		return p.partial[i]
	}
	return nil
}

func (p *Picker) peer(pr Peer) *pickPeer {
	pp := p.peers[pr]
	if pp == nil {
		pp = &pickPeer{has: newBitset(p.numPieces), choked: true, reqs: make(map[Block]struct{}), piece: -1}
		p.peers[pr] = pp
	}
	return pp
}

// HandleHave records that peer holds piece i.
func (p *Picker) HandleHave(pr Peer, i Index) {
	pp := p.peer(pr)
	if pp.all || pp.has.has(i) {
		return
	}
	pp.has.set(i)
	p.avail[i]++
}

// HandleBitfield records the pieces peer holds: has(i) for each piece.
func (p *Picker) HandleBitfield(pr Peer, has func(Index) bool) {
	for i := range p.numPieces {
		if has(i) {
			p.HandleHave(pr, i)
		}
	}
}

// HandleHaveAll records a peer that holds everything (a seed).
func (p *Picker) HandleHaveAll(pr Peer) {
	pp := p.peer(pr)
	if pp.all {
		return
	}
	pp.has.each(nil, 0, func(i Index) { p.avail[i]-- })
	clear(pp.has)
	pp.all = true
	p.seeds++
}

// PeerHas reports whether peer holds piece i.
func (p *Picker) PeerHas(pr Peer, i Index) bool {
	pp := p.peers[pr]
	return pp != nil && (pp.all || pp.has.has(i))
}

// Interesting reports whether peer holds a wanted piece we lack.
func (p *Picker) Interesting(pr Peer) bool {
	pp := p.peers[pr]
	if pp == nil || p.missing == 0 {
		return false
	}
	for i := range p.numPieces {
		if p.wanted(i) && (pp.all || pp.has.has(i)) {
			return true
		}
	}
	return false
}

// HandleChoke records that peer chokes us; its requests are void (except
// allowed-fast ones, which a fast-extension peer keeps serving or rejects)
// and are returned so the caller can forget them.
func (p *Picker) HandleChoke(pr Peer, keepFast bool) []Block {
	pp := p.peer(pr)
	pp.choked = true
	var dropped []Block
	for b := range pp.reqs {
		if keepFast && pp.fast[b.Piece] {
			continue
		}
		dropped = append(dropped, b)
		p.unask(pr, pp, b)
	}
	return dropped
}

// HandleUnchoke records that peer lets us request.
func (p *Picker) HandleUnchoke(pr Peer) { p.peer(pr).choked = false }

// HandleAllowedFast records that peer serves piece i even while choking.
func (p *Picker) HandleAllowedFast(pr Peer, i Index) {
	pp := p.peer(pr)
	if pp.fast == nil {
		pp.fast = make(map[Index]bool)
	}
	pp.fast[i] = true
}

// HandleReject withdraws a request the peer refused.
func (p *Picker) HandleReject(pr Peer, b Block) {
	if pp := p.peers[pr]; pp != nil {
		if _, ok := pp.reqs[b]; ok {
			p.unask(pr, pp, b)
		}
	}
}

// HandleDisconnect forgets peer and returns the requests it had pending.
func (p *Picker) HandleDisconnect(pr Peer) []Block {
	pp := p.peers[pr]
	if pp == nil {
		return nil
	}
	var dropped []Block
	for b := range pp.reqs {
		dropped = append(dropped, b)
		p.unask(pr, pp, b)
	}
	if pp.all {
		p.seeds--
	} else {
		pp.has.each(nil, 0, func(i Index) { p.avail[i]-- })
	}
	p.disown(pr, pp)
	delete(p.peers, pr)
	return dropped
}

// Outstanding is the number of requests pending with peer.
func (p *Picker) Outstanding(pr Peer) int {
	if pp := p.peers[pr]; pp != nil {
		return len(pp.reqs)
	}
	return 0
}

// Requested reports whether b is pending with peer.
func (p *Picker) Requested(pr Peer, b Block) bool {
	pp := p.peers[pr]
	if pp == nil {
		return false
	}
	_, ok := pp.reqs[b]
	return ok
}

func (p *Picker) unask(pr Peer, pp *pickPeer, b Block) {
	delete(pp.reqs, b)
	pc := p.started(b.Piece)
	if pc == nil {
		return
	}
	bs := &pc.blocks[b.Begin/BlockSize]
	k := slices.Index(bs.askers, pr)
	if k < 0 {
		return
	}
	bs.askers = slices.Delete(bs.askers, k, k+1)
	if !bs.received && len(bs.askers) == 0 {
		pc.unrequested++
	}
}
