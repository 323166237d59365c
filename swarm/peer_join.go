package swarm

import (
	"context"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// A peer's connection joining and leaving the torrent, on the torrent's
// goroutine: the checks at the door, the first messages, and the
// bookkeeping when it goes.

func (t *torrent) addPeer(ctx context.Context, nc *newConn) {
	if !t.running || t.paused || t.err != nil || len(t.peers) >= t.s.cfg.MaxPeersPerTorrent ||
		t.connBanned(nc) {
		nc.raw.Close()
		return
	}
	for _, p := range t.peers {
		if p.nc.peerID == nc.peerID {
			nc.raw.Close() // already connected (both sides dialled)
			return
		}
	}
	t.ids.next++
	p := &peer{
		host:        t,
		id:          t.ids.next,
		nc:          nc,
		fast:        supportsFast(nc.reserved),
		ext:         supportsExtended(nc.reserved),
		peerChoking: true,
		connectedAt: time.Now(),
		queueTarget: maxQueue,
		ramp:        slowStart{handshake: nc.handshakeRTT},
		reqOut:      make(map[pieces.Block]time.Time),
		wake:        make(chan struct{}, 1),
		closed:      make(chan struct{}),
		client:      clientName(nc.peerID),
	}
	p.amChoking.Store(true)
	t.ensureEvents() // before its reader starts
	t.peers[p.id] = p
	t.ids.of[p.id] = peerIdent{addr: nc.addr, peerID: nc.peerID}
	if !nc.incoming {
		if k := t.known.addrs[nc.addr]; k != nil {
			k.connected = true
			k.fails = 0
		}
	}
	tot := t.xfer.totals[nc.addr]
	if tot == nil {
		tot = &peerTotal{}
		t.xfer.totals[nc.addr] = tot
	}
	tot.live = p
	p.earned = tot.earned
	t.sendInitial(p)
	if t.completed && t.superSeeding() == nil && t.choker.admits(t.unchokedCount()) {
		// A seed unchokes a newcomer with its bitfield while a slot is
		// free, not once it says Interested: a peer that connects to a
		// seed wants its data, and waiting cost a round trip before the
		// first request (100 ms of a 256 MiB download at 100 ms RTT). One
		// that turns out not interested is choked at the next rechoke.
		t.unchoke(p)
	}
	t.askLayers(p) // after our bitfield and extended handshake
	t.superJoined(p)
	t.wg.Go(func() { p.readLoop(ctx) })
	t.wg.Go(func() { p.writeLoop(ctx) })
	t.log.Debug("Peer connected", "addr", nc.addr.String(), "id", p.id, "incoming", nc.incoming, "client", p.client)
	if t.picker != nil {
		t.picker.HandleChoke(pieces.Peer(p.id), false)
	}
}

func (t *torrent) sendInitial(p *peer) {
	c := t.data.Load()
	super := t.superSeeding() != nil // not under p.mu: a fall-back takes it
	p.send(func(b []byte) []byte {
		switch {
		case c == nil:
			if p.fast {
				b = appendSimple(b, pp.HaveNone)
			}
		case super:
			// BEP 16: look like a leecher, so peers send us their Haves.
			if p.fast {
				b = appendSimple(b, pp.HaveNone)
			}
		case p.fast && t.picker.Missing() == 0 && allHave(c):
			b = appendSimple(b, pp.HaveAll)
		case p.fast && countHave(c) == 0:
			b = appendSimple(b, pp.HaveNone)
		default:
			b = appendPayload(b, pp.Bitfield, haveBitfield(c).Bytes())
		}
		if p.ext {
			b = appendExtended(b, 0, t.extHandshake())
		}
		return b
	})
}

func (t *torrent) removePeer(p *peer, why error) {
	if _, ok := t.peers[p.id]; !ok {
		return
	}
	p.dead.Store(true) // before its requests go to others
	p.close()
	delete(t.peers, p.id)
	if t.picker != nil {
		t.picker.HandleDisconnect(pieces.Peer(p.id))
	}
	t.superLeft(p)
	if k := t.known.addrs[p.nc.addr]; k != nil && !p.nc.incoming {
		k.connected = false
		k.nextTry = time.Now().Add(redialAfter(p.downloaded.Load(), why == errBothSeeds))
	}
	if tot := t.xfer.totals[p.nc.addr]; tot != nil && tot.live == p {
		tot.down += p.downloaded.Load()
		tot.up += p.uploaded.Load()
		tot.live = nil
		if p.downloaded.Load() > 0 {
			tot.earned = p.depth
		}
	}
	t.log.Debug("Peer disconnected", "addr", p.nc.addr.String(), "err", why)
	t.fillRequests()
	t.dial()
}
