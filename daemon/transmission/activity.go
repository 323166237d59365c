package transmission

import (
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// recentFor is how long a torrent counts as recently active after it
// changed, and how long a removed id is reported: remotes poll
// "recently-active" every few seconds and must not miss a change.
const recentFor = 60 * time.Second

// activity remembers what torrent-get last saw of each torrent, so
// "recently-active" can name the torrents that changed and the ids that
// went away. It is owned by the Handler and guarded by its mutex.
type activity struct {
	seen    map[swarm.InfoHash]*seenTorrent
	removed map[int]time.Time // id -> when it was noticed gone
}

type seenTorrent struct {
	id         int
	look       look
	changed    time.Time // when look last differed
	lastActive time.Time // when it last moved data; zero if never
	mark       uint64    // the sweep that last saw it
}

// look is what a remote shows of a torrent in its list.
type look struct {
	state        swarm.State
	done, wanted int64
	down, up     int64
	peers        int
	name, err    string
	stalled      string
}

func newActivity() activity {
	return activity{seen: make(map[swarm.InfoHash]*seenTorrent), removed: make(map[int]time.Time)}
}

// update records the torrents of one snapshot (every one of them, with its
// id) and returns their records, in order.
func (a *activity) update(ts []swarm.TorrentSnapshot, ids []int, now time.Time, sweep uint64) []*seenTorrent {
	out := make([]*seenTorrent, len(ts))
	for i := range ts {
		t := &ts[i]
		l := look{t.State, t.DoneBytes, t.WantedBytes, t.DownBps, t.UpBps, t.PeersConnected, t.Name, t.Err, t.Stalled}
		s := a.seen[t.InfoHash]
		if s == nil {
			s = &seenTorrent{id: ids[i], look: l, changed: now}
			a.seen[t.InfoHash] = s
		} else if s.look != l {
			s.look, s.changed = l, now
		}
		if t.DownBps > 0 || t.UpBps > 0 {
			s.lastActive = now
		}
		s.mark = sweep
		out[i] = s
	}
	for ih, s := range a.seen {
		if s.mark != sweep {
			a.removed[s.id] = now
			delete(a.seen, ih)
		}
	}
	for id, at := range a.removed {
		if now.Sub(at) > recentFor {
			delete(a.removed, id)
		}
	}
	return out
}

// noteRemoved records an id removed through the RPC at once.
func (a *activity) noteRemoved(id int, now time.Time) { a.removed[id] = now }

func (a *activity) recent(s *seenTorrent, now time.Time) bool {
	return now.Sub(s.changed) <= recentFor || now.Sub(s.lastActive) <= recentFor
}

func (a *activity) removedIDs() []int {
	out := make([]int, 0, len(a.removed))
	for id := range a.removed {
		out = append(out, id)
	}
	return out
}
