package swarm

import (
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// Requests as the torrent's goroutine sends them: each peer's pipeline
// topped up to the depth queueDepth (queue.go) gives it, with blocks the
// picker chose.

// fillRequests tops up every unchoked peer's request queue, and the web
// seeds'.
func (t *torrent) fillRequests() {
	for _, p := range t.peers {
		t.request(p)
	}
	t.webFill()
}

// request tops up p's pipeline to its target depth.
func (t *torrent) request(p *peer) {
	if t.picker == nil || t.paused || t.diskFull() || p.peerChoking && !p.fast {
		return
	}
	if !t.completed {
		t.startWorkers() // before the first request: its blocks need them
	}
	pr := pieces.Peer(p.id)
	probation, idle := t.trust(p)
	t.picker.SetProbation(pr, probation)
	if idle {
		return
	}
	p.mu.Lock()
	grown, paced, burst, sure := p.ramp.grown, p.ramp.cap(), p.ramp.burst(), p.ramp.sure()
	p.mu.Unlock()
	target := queueDepth(depthIn{
		perPiece:  max(1, int(t.data.Load().info.PieceLength/blockSize)),
		probation: probation,
		grown:     grown,
		paced:     paced,
		burst:     burst,
		burstSure: sure && len(t.peers) <= surePeers && len(t.known.addrs) <= surePeers,
		earned:    p.earned,
		settled:   time.Since(latest(p.connectedAt, p.unchokedAt)) > 3*time.Second,
		rate:      p.downRate.rate / blockSize,
		cap:       p.queueTarget,
		reqq:      p.reqq,
		crowded:   len(t.peers) > crowdedPeers || len(t.known.addrs) > crowdedPeers,
	})
	p.depth = target
	want := target - t.picker.Outstanding(pr)
	if want < target/4 && t.picker.Outstanding(pr) > 0 {
		return // batch: wait until a quarter of the queue has drained
	}
	if t.picker.Endgame() && p.downloaded.Load() > 0 && p.downRate.rate < t.xfer.bestDown/endgameSlower {
		// Every pick is now a duplicate, and a block has at most two
		// askers: one this slow would hold it while a faster peer idles.
		// A peer that has sent nothing yet may be fast: it gets its try.
		return
	}
	blocks := t.picker.PickFor(pr, want)
	if len(blocks) == 0 {
		return
	}
	now := time.Now()
	p.mu.Lock()
	for _, b := range blocks {
		p.reqOut[b] = now
		p.ctl = appendRequest(p.ctl, pp.Request, uint32(b.Piece), uint32(b.Begin), uint32(b.Length))
	}
	p.mu.Unlock()
	p.signal()
}

func (t *torrent) cancelRequest(pr pieces.Peer, b pieces.Block) {
	p := t.peers[pr]
	if p == nil {
		return
	}
	p.mu.Lock()
	if _, ok := p.reqOut[b]; ok {
		delete(p.reqOut, b)
		p.excuse(b)
	}
	p.ctl = appendRequest(p.ctl, pp.Cancel, uint32(b.Piece), uint32(b.Begin), uint32(b.Length))
	p.mu.Unlock()
	p.signal()
}
