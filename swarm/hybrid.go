package swarm

import (
	"context"
	"fmt"

	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/types/infohash"

	"github.com/shoal-bt/shoal/pieces"
)

// A hybrid torrent (BEP 52 and BEP 3 halves for the same files) is one
// swarm under two names: v1 peers know it by its SHA-1 infohash, v2 peers
// by its SHA-256 one truncated to 20 bytes. The engine exchanges pieces by
// the v1 half, which describes the same bytes in the same pieces, so the
// torrent keeps its v1 infohash as its identity (ih) and takes the v2 one
// as an alias (ihV2): it accepts handshakes on either, answering with the
// one the peer used, and announces both to trackers, the DHT and LSD. The
// alias is known at Add from the .torrent or the magnet's btmh (derived
// from opts, so fixed); a hybrid added by a btih-only magnet learns it when
// the info arrives (learnAlias): the loop sets src.learnedV2 once, under
// s.mu with the session's alias, and everyone else reads it atomically.

// hybridAlias is the truncated v2 infohash that names the same swarm as
// the v1 one, or zero when opts describe no hybrid.
func hybridAlias(opts AddOptions) InfoHash {
	switch {
	case opts.Torrent != nil && opts.Torrent.Info.HasV1() && opts.Torrent.Info.HasV2():
		return InfoHash(pieces.Truncated(opts.Torrent.InfoHashV2))
	case opts.Magnet != nil && !opts.Magnet.V2Only && opts.Magnet.InfoHashV2 != (pieces.Hash32{}):
		return InfoHash(pieces.Truncated(opts.Magnet.InfoHashV2))
	}
	return InfoHash{}
}

// ihV2 is the torrent's v2 alias, zero when it has none (yet); safe
// from any goroutine.
func (t *torrent) ihV2() InfoHash {
	if v2 := hybridAlias(t.opts); v2 != (InfoHash{}) {
		return v2
	}
	if p := t.src.learnedV2.Load(); p != nil {
		return *p
	}
	return InfoHash{}
}

// learnAlias takes a hybrid's v2 name from the info a btih-only magnet
// brought (infoBytes, already checked against the btih): it registers it
// with the session, unless the torrent was removed meanwhile, and has the
// trackers and the DHT hear of it now rather than at their next round. On
// the loop.
func (t *torrent) learnAlias(infoBytes []byte, info *pieces.Info) {
	if !info.HasV1() || !info.HasV2() || t.ihV2() != (InfoHash{}) {
		return
	}
	v2 := InfoHash(pieces.Truncated(pieces.InfoHashV2(infoBytes)))
	s := t.s
	s.mu.Lock()
	registered := s.torrents[t.ih] == t
	if registered {
		// Under s.mu, so that Remove, which drops the alias under it too,
		// sees both or neither.
		t.src.learnedV2.Store(&v2)
		s.addAliasLocked(t)
	}
	s.mu.Unlock()
	if registered {
		t.log.Info("Hybrid torrent: joining its v2 swarm too", "ihV2", fmt.Sprintf("%x", v2[:]))
		t.kickAnnouncers()
	}
}

// addAliasLocked registers t's v2 name, unless another torrent has it.
// s.mu is held.
func (s *Session) addAliasLocked(t *torrent) {
	v2 := t.ihV2()
	if v2 == (InfoHash{}) || s.torrents[v2] != nil || s.aliases[v2] != nil {
		return
	}
	s.aliases[v2] = t
}

// dropAliasLocked forgets t's v2 name. s.mu is held.
func (s *Session) dropAliasLocked(t *torrent) {
	if v2 := t.ihV2(); v2 != (InfoHash{}) && s.aliases[v2] == t {
		delete(s.aliases, v2)
	}
}

// lookupLocked finds the torrent a peer names by either infohash. s.mu is
// held.
func (s *Session) lookupLocked(ih InfoHash) *torrent {
	if t := s.torrents[ih]; t != nil {
		return t
	}
	return s.aliases[ih]
}

// infoHashes is what the torrent announces as: its infohash, then its v2
// alias when it has one.
func (t *torrent) infoHashes() []InfoHash {
	if v2 := t.ihV2(); v2 != (InfoHash{}) {
		return []InfoHash{t.ih, v2}
	}
	return []InfoHash{t.ih}
}

// announceAll sends req to a tracker under each of the torrent's names.
// The v1 answer is the one reported; the v2 alias's adds its peers (the
// v2 peers of a hybrid announce that name), and its failure is only
// logged.
func (t *torrent) announceAll(ctx context.Context, cl tracker.Client, url string, req tracker.AnnounceRequest) (tracker.AnnounceResponse, error) {
	opt := tracker.AnnounceOpt{UserAgent: "shoal/0.1"}
	res, err := cl.Announce(ctx, req, opt)
	v2 := t.ihV2()
	if v2 == (InfoHash{}) {
		return res, err
	}
	req.InfoHash = infohash.T(v2)
	res2, err2 := cl.Announce(ctx, req, opt)
	if err2 != nil {
		t.log.Debug("Announce of the v2 infohash failed", "tracker", url, "err", err2)
		return res, err
	}
	if err == nil {
		res.Peers = append(res.Peers, res2.Peers...)
	}
	return res, err
}
