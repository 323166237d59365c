package swarm

import "time"

// maxQueue bounds the requests outstanding at one peer, and the requests
// we queue from one (advertised as reqq; only an unchoked peer's are
// queued, 24 bytes each): 8192 blocks, 128 MiB. The old bound of 1000
// capped one peer at 160 MiB/s over a 100 ms path; 4096 (64 MiB) was
// enough on paper for 640 MiB/s there, but a queue topped up a quarter
// at a time, over a round trip that the proxy's and both ends' own delays
// make longer than the path's, held netbench (1) at 461 MiB/s, 76% of
// one TCP flow, with the machine 39% idle. With 8192: 565, 93%.
const maxQueue = 8192

// unsaidReqq bounds the requests outstanding at a peer that did not say
// its reqq: the bound before maxQueue grew. Some peers drop requests past
// their own queue without a reject (bench/manypeers' fake seeds keep
// 4096); asked for 8192, the fast one there dropped half, and a leecher
// of 1,000 seeds took 6.3-10 s instead of 2.3, waiting on them.
const unsaidReqq = 4096

// depthIn is what queueDepth decides from, gathered by request.
type depthIn struct {
	perPiece  int     // blocks in a piece
	probation bool    // no piece it sent has verified yet
	grown     int     // blocks it sent in time (slowStart)
	paced     int     // slowStart.cap: the queue its round trips and rate call for; 0 if none yet
	burst     int     // slowStart.burst: the bandwidth-delay product its trains of blocks show; 0 if none yet
	burstSure bool    // slowStart.sure, with at most surePeers peers
	earned    int     // the depth its address reached on an earlier connection
	settled   bool    // the rate meter has watched it unchoking us for a few seconds
	rate      float64 // blocks per second it delivered over the last rate window
	cap       int     // queueTarget: lowered while the peer snubs us
	reqq      int     // the requests it says it queues; 0 if it did not say
	crowded   bool    // the torrent has many peers (more than crowdedPeers)
}

// crowdedPeers is how many connected (or known) peers make a crowd, where
// a peer that has sent nothing yet gets one request, not four or its
// probation piece. Known addresses count: the first of 100 slow seeds to
// connect found fewer than 64 peers connected, got a whole probation
// piece each (16 blocks, 1.6 s of their data), and endgame then fetched
// those pieces again, twice over where cancels were ignored (1.45x of
// the payload sent, in a fifth of the runs of
// TestEndgame_ManySlowSeedsSendLittleTwice when both ran together).
const crowdedPeers = 64

// burstTrust bounds the queue a train opens, in blocks the peer delivered
// in time: a queue of 1 MiB pieces opens to 16 MiB after the probation
// piece, and to the cap a round trip later. The bound costs netbench (1)
// 0.1 s of its 0.9 (32 cost as much). Without it, a 1 MB/s peer whose
// probation piece our stalled reader found waiting in its socket was
// asked for 64 MiB, 64 s of its data, which the end of the download
// then waits on: endgame takes duplicates two at a time. A train whose
// first block came as soon as the handshake's round trip says it could
// (slowStart.sure) was not held in our socket, and is not bounded while
// the torrent has at most surePeers peers.
const burstTrust = 16

// surePeers is how many peers (connected, and known) a torrent may have
// for a sure train to open a queue unbounded. With a few peers, each
// one's first round trips are the download's ramp. With many, the others
// fill those round trips, and a sure train is a poor measure: in netbench
// (4) the leechers, each on a share of two busy cores, answered
// handshakes after as long as 330 ms, so almost any first block came in
// time, and queues to them opened to 4,288 blocks after 20 had come.
const surePeers = 4

// probationBurst bounds the requests a peer on probation gets at once: a
// piece of up to 1 MiB.
const probationBurst = 64

// queueDepth is how many requests a peer may have outstanding. It is a
// slow start, as TCP's: 4 requests, and three more for each block that
// came in time (slowStart), so the queue quadruples every round trip
// until it covers the bandwidth-delay product, whatever the latency, in
// about log4(BDP/4) round trips (5 at 100 ms and 400 MiB/s); once blocks
// wait in the peer's queue (or in buffers on the way) rather than on the
// path, a few round trips of its rate (slowStart.cap): beyond that, more
// requests only make the end wait on them.
//   - In a crowd, one request until the peer sends a block: with 1,000
//     seeds connected, 999 of them sending a block every 2 s, four each
//     held every piece of a 64 MiB torrent, and the one fast seed had
//     little left to send but endgame duplicates. In a small swarm the
//     round trip that would cost is worth more.
//   - On probation, one piece (the picker confines it to one): a liar
//     wastes that piece before it fails with the liar as its only sender.
//     Outside a crowd that piece is asked for at once (up to
//     probationBurst blocks), not grown to from 4: it is what a liar could
//     waste anyway, and at 100 ms RTT growing to it took two round trips
//     of a new peer's first second.
//   - A train of blocks that came back to back shows the rate the path
//     carries (slowStart.burst), so the queue opens to twice the
//     bandwidth-delay product that rate gives as soon as such a train
//     came, the probation piece's: at 100 ms RTT and 450 MiB/s,
//     growing 4-fold a round trip from that piece took four more round
//     trips, 0.4 s of a 256 MiB download's 1.35 s. It opens at most to
//     burstTrust times the blocks that came in time: a first train read
//     together after our reader stalled looks as fast as any, and there
//     is no earlier block's round trip yet to tell the stall by
//     (slowStart.observe tells it by later). The handshake's round trip,
//     where we timed it, tells it at once (slowStart.sure): then the
//     queue opens to the train's product unbounded, a round trip sooner
//     (0.1 s of netbench (1)'s 0.9 at 256 MiB).
//   - A peer that sent good data before (a reconnection after a reset)
//     starts at the depth it had reached, not at 4.
//   - Once the meter has seen a few seconds of it, two seconds of what it
//     delivers (at least 1), so slow peers do not hold the payload hostage
//     in deep queues: with 200 seeds at 40 KB/s and 64 requests each,
//     every block of a 64 MiB torrent was asked of someone within seconds,
//     and the endgame duplicates came twice (96 MiB received).
func queueDepth(in depthIn) int {
	burst := in.burst
	if !in.burstSure {
		burst = min(burst, burstTrust*in.grown)
	}
	d := max(4+3*in.grown, in.earned, burst)
	if in.grown == 0 && in.crowded {
		d = max(1, in.earned)
	}
	if in.probation && !in.crowded {
		d = max(d, min(in.perPiece, probationBurst))
	}
	if in.paced > 0 {
		d = min(d, in.paced)
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
	} else {
		d = min(d, unsaidReqq)
	}
	return max(d, 1)
}

// slowStart is what a peer's reader learns of its queue from the blocks
// it asked for: the shortest time a block took from our request (the
// round trip, with the least queueing seen), whether blocks come within
// inTime of their request, and the rate they come at, in rounds of
// inTime.
//
// The queue grows by the blocks that came in time (grown). Once blocks
// come late (they waited behind others at the peer or in buffers on the
// way: the queue holds more than the path carries) and the rate has not
// grown by a quarter for two rounds, it holds inTime of the peer's best
// recent rate, and half again: about three times the bandwidth-delay
// product on long paths, 75 ms of data on short ones; more would only put
// blocks behind the slowest peer at the end. A round with every block in
// time (the peer got faster) lets it grow again from where it stopped.
//
// With four 8 MB/s seeds and a 1 MB/s one at 50 ms RTT, a queue that grew
// by every block delivered held 2 s of each peer's data (the settled
// cap), the slow one's first 3 s of growth 8 s of its data, and the fast
// seeds idled through the last second of the download, taking endgame
// duplicates two at a time. Capped from the first late block on, one
// stall of the peer (or of our reader, on a loaded machine) while the
// queue opened made it open by the cap instead, at half the pace or less.
type slowStart struct {
	minRTT    time.Duration
	handshake time.Duration // newConn.handshakeRTT: 0 when not timed
	grown     int
	late      bool // blocks come late and the rate stopped growing: the queue is capped

	round      time.Time // when the current round began
	roundLen   time.Duration
	roundCount int
	roundLate  int // blocks of this round that came late
	// fullRate is the round rate that last grew by a quarter, flat the
	// rounds since: the queue is capped only once the rate stops growing.
	fullRate float64
	flat     int
	rates    [4]float64 // blocks a second in the last rounds, newest first

	// The current train: blocks less than a quarter of minRTT apart.
	trainAt, trainLast time.Time
	trainN             int
	trainFirst         time.Duration // how long its first block took
	trainRate          float64       // blocks a second of the last train of trainMin blocks or more
	trainSure          bool          // trainRate's train began on time (sure)
}

// trainMin is the train that shows a rate: 256 KiB. A shorter one is
// mostly timer and scheduling noise, and at most what slow start's first
// round trips ask for anyway.
const trainMin = 16

// trainSpan is the least time a train is taken to have taken: blocks the
// reader found waiting together in the socket came faster than any path.
const trainSpan = time.Millisecond

// endgameSlower: a peer slower than the fastest by this factor gets no
// endgame duplicates (one that has sent nothing yet does: it may be fast,
// and a liar that joins in endgame must get a block to lie with). With 20 seeds at 2.5 blocks/s and one at 4 MiB/s,
// the slow ones, idle between their few requests, took the last blocks'
// second asker slots, and the fast one waited 0.5 s for them.
const endgameSlower = 4

// queueSlack is the queueing a block may show beyond the round trip and
// still count as in time, for peers whose round trip is short: on
// loopback, scheduling alone takes milliseconds, and 50 ms of data in
// flight keeps a peer busy through a descheduled reader or writer.
const queueSlack = 50 * time.Millisecond

// observe records a block that came at now, asked for at asked.
func (s *slowStart) observe(asked, now time.Time) {
	took := max(now.Sub(asked), time.Microsecond)
	if s.minRTT == 0 || took < s.minRTT {
		s.minRTT = took
	}
	inTime := took <= s.inTime()
	if inTime && !s.late {
		s.grown++
	}
	if s.trainN == 0 || now.Sub(s.trainLast) > s.minRTT/4 {
		s.trainAt, s.trainN, s.trainFirst = now, 0, took
	}
	s.trainN++
	s.trainLast = now
	if s.trainN >= trainMin {
		// A first block later than the round trip may have waited in our
		// socket (a stalled reader) while the rest of the train came at
		// the path's pace: the train may have taken that much longer.
		span := now.Sub(s.trainAt) + s.trainFirst - s.minRTT
		s.trainRate = float64(s.trainN-1) / max(span, trainSpan).Seconds()
		s.trainSure = s.handshake > 0 && s.trainFirst <= s.handshake+s.handshake/8+onTimeSlack
	}
	// Rounds of inTime: the rate of one is what a queue of inTime's worth
	// of requests delivered, when the path and not the queue was the limit.
	if s.round.IsZero() {
		s.round, s.roundLen = now, s.inTime()
		return
	}
	s.roundCount++
	if !inTime {
		s.roundLate++
	}
	if d := now.Sub(s.round); d >= s.roundLen {
		copy(s.rates[1:], s.rates[:])
		s.rates[0] = float64(s.roundCount) / d.Seconds()
		if s.rates[0] >= 1.25*s.fullRate {
			s.fullRate, s.flat = s.rates[0], 0
		} else {
			s.flat++
		}
		s.late = s.roundLate > 0 && (s.late || s.flat >= 2)
		s.round, s.roundLen, s.roundCount, s.roundLate = now, s.inTime(), 0, 0
	}
}

// inTime is how long a block may take and still grow the queue.
func (s *slowStart) inTime() time.Duration {
	return max(2*s.minRTT, s.minRTT+queueSlack)
}

// cap is the queue while blocks come late (0: none): inTime and half
// again of the best rate of the last rounds, so that a round the peer or
// we stalled in does not shrink it.
func (s *slowStart) cap() int {
	best := 0.0
	for _, r := range s.rates {
		best = max(best, r)
	}
	if !s.late || best == 0 {
		return 0
	}
	return max(4, int(1.5*best*s.inTime().Seconds()))
}

// onTimeSlack is how much later than the handshake's round trip a train's
// first block may come and the train still be sure: the peer's own time
// to answer, and the scheduler's. A stall of ours that short hides at most
// that much of a slow peer's train: a peer whose train of trainMin blocks
// took under 10 ms sends 25 MiB/s or more, and is asked for at most two
// seconds of it.
const onTimeSlack = 5 * time.Millisecond

// sure reports whether the last long train began as soon as the handshake
// said it could: its first block was not held in our socket by a stalled
// reader, so the train's rate is the path's, not an artefact of the stall.
func (s *slowStart) sure() bool { return s.trainSure }

// burst is the queue the last long train calls for (0: none yet): twice
// the bandwidth-delay product of its rate and the round trip. The train
// of packets behind a bottleneck keeps that link's spacing (packet-pair
// probing, as BBR's delivery rate samples); twice the product is BBR's
// in-flight gain too, slack for a rate seen low.
func (s *slowStart) burst() int {
	return min(int(2*s.trainRate*s.minRTT.Seconds()), maxQueue)
}
