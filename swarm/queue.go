package swarm

// maxQueue bounds the requests outstanding at one peer, and the requests
// we queue from one (advertised as reqq): 4096 blocks, 64 MiB, keep 640
// MiB/s flowing at 100 ms RTT. The old bound of 1000 (and 2000 queued
// from a peer) capped one peer at 160 MiB/s over a 100 ms path, a third
// of what one TCP flow carried there.
const maxQueue = 4096

// depthIn is what queueDepth decides from, gathered by request.
type depthIn struct {
	perPiece  int     // blocks in a piece
	probation bool    // no piece it sent has verified yet
	delivered int     // blocks it sent on this connection
	earned    int     // the depth its address reached on an earlier connection
	settled   bool    // the rate meter has watched it unchoking us for a few seconds
	rate      float64 // blocks per second it delivered over the last rate window
	cap       int     // queueTarget: lowered while the peer snubs us
	reqq      int     // the requests it says it queues; 0 if it did not say
	crowded   bool    // the torrent has many peers (more than crowdedPeers)
}

// crowdedPeers is how many connected peers make a crowd, where a peer
// that has sent nothing yet gets one request, not four.
const crowdedPeers = 64

// queueDepth is how many requests a peer may have outstanding. It is a
// slow start, as TCP's: 4 requests, and three more for each block
// delivered, so the queue quadruples every round trip until it covers
// the bandwidth-delay product, whatever the latency, in about
// log4(BDP/4) round trips (5 at 100 ms and 400 MiB/s).
//   - In a crowd, one request until the peer sends a block: with 1,000
//     seeds connected, 999 of them sending a block every 2 s, four each
//     held every piece of a 64 MiB torrent, and the one fast seed had
//     little left to send but endgame duplicates. In a small swarm the
//     round trip that would cost is worth more.
//   - On probation, one piece (the picker confines it to one): a liar
//     wastes that piece before it fails with the liar as its only sender.
//   - A peer that sent good data before (a reconnection after a reset)
//     starts at the depth it had reached, not at 4.
//   - Once the meter has seen a few seconds of it, two seconds of what it
//     delivers (at least 1), so slow peers do not hold the payload hostage
//     in deep queues: with 200 seeds at 40 KB/s and 64 requests each,
//     every block of a 64 MiB torrent was asked of someone within seconds,
//     and the endgame duplicates came twice (96 MiB received).
func queueDepth(in depthIn) int {
	d := max(4+3*in.delivered, in.earned)
	if in.delivered == 0 && in.crowded {
		d = max(1, in.earned)
	}
	if in.probation {
		d = min(d, in.perPiece)
	}
	if in.settled {
		d = min(d, max(1, int(2*in.rate)))
	}
	d = min(d, in.cap, maxQueue)
	if in.reqq > 0 {
		d = min(d, in.reqq)
	}
	return max(d, 1)
}
