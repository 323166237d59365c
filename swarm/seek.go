package swarm

import "time"

// A seed learns of leechers from announces, and a leecher that does not
// dial (Transmission ignores loopback peers from trackers, rtorrent keeps
// one peer per address, and on the internet both sides may be behind NAT)
// gets nothing until the seed dials it. With the tracker's interval (often
// 30 minutes) that could be never within a download, so while a tracker
// counts more leechers than the seed is connected to, the seed announces
// again sooner: minInterval, doubling while that lasts, up to 64 times it.
// So does a seed with no leecher at all: the one that arrives right after
// an announce is not counted yet.
// What it learns it dials at once (handleTrackerUpdate), within the peer
// limits like any other peer.

// seekLeechers returns how soon to announce again to learn of leechers a
// tracker counts (trackerLeechers) but we are not connected to, or 0 to
// keep the tracker's interval. streak counts the announces in a row that
// found some unseen. in is the torrent's state before this announce.
func seekLeechers(in announceInput, trackerLeechers int, streak *int) time.Duration {
	if !in.completed || (trackerLeechers <= in.leechers && in.leechers > 0) {
		*streak = 0
		return 0
	}
	d := minInterval << min(*streak, 6)
	*streak++
	return d
}

// connectedLeechers counts the connected peers that still lack pieces.
func (t *torrent) connectedLeechers() int {
	c := t.data.Load()
	if c == nil {
		return 0
	}
	n := 0
	for _, p := range t.peers {
		if !p.hasAll && p.haveCount < c.info.NumPieces() {
			n++
		}
	}
	return n
}
