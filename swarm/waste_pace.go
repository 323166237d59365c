package swarm

import "time"

// paceTarget bounds p's request queue by what it delivers, so slow peers
// do not hold the payload hostage in deep queues. With 200 seeds at 40
// KB/s and a queue of 64 blocks each, every block of a 64 MiB torrent was
// asked of someone within seconds: the leecher was in endgame from the
// start, and the duplicates it then asked for came twice (96 MiB received).
//   - slow start: 4 requests, and two more for each block it delivered,
//     so a fast peer doubles its queue every round trip;
//   - once the rate meter has seen a few seconds of the peer unchoking
//     us, about two seconds of what it delivers (at least 4).
func paceTarget(p *peer) int {
	target := 4 + 2*int(p.downloaded.Load()/blockSize)
	if time.Since(latest(p.connectedAt, p.unchokedAt)) > 3*time.Second {
		target = min(target, max(4, int(2*p.downRate.rate/blockSize)))
	}
	return target
}
