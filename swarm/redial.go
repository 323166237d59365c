package swarm

import "time"

// redialAfter is how long to wait before dialling again an address whose
// connection just ended. A connection that carried data is dialled again
// at once: a reset (a NAT or proxy dropping state, a router restarting)
// should cost a round trip or two, not the 10 s it once did, and the
// peer's earned depth (queueDepth) carries over. One that carried nothing
// waits 10 s, so a peer that hangs up on us is not redialled in a loop;
// two seeds have nothing for each other for 5 minutes.
func redialAfter(delivered int64, bothSeeds bool) time.Duration {
	switch {
	case bothSeeds:
		return 5 * time.Minute
	case delivered > 0:
		return 0
	}
	return 10 * time.Second
}

// dialBackoff is the wait after the fails-th failed dial in a row: a
// second after the first (the peer may be restarting after a reset), then
// 5 s, 20 s, 45 s, ... up to 5 minutes, about 12 minutes in all before
// forgetAfterFails drops the address.
func dialBackoff(fails int) time.Duration {
	if fails <= 1 {
		return time.Second
	}
	n := fails - 1
	return time.Duration(min(n*n, 60)) * 5 * time.Second
}
