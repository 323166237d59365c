package swarm

import "time"

// Stall says why a torrent does not move; TorrentSnapshot.Stalled gives
// the same reason as a line with its details. Compare Stall values, not
// the line: its wording may change.
type Stall int

const (
	StallNone Stall = iota // moving, paused, failed or done
	StallDiskFull
	StallFilesChanged       // files changed on disk: under re-check or edited by the user
	StallNoMetadata         // magnet: connected peers, but no info dict yet
	StallTrackerUnreachable // no peers, and the tracker failed
	StallNoPeerSources      // no trackers, DHT or LAN discovery to find peers with
	StallNoDHTNodes         // the DHT is the only source and knows no nodes
	StallNoPeers            // the sources named nobody
	StallPeersUnreachable   // peers named, none connects
	StallChoked             // every connected peer chokes us
	StallNoPieces           // no connected peer has a missing piece
	StallWebSeeds           // no peers, and every web seed backs off or was dropped
	StallPieceLayers        // v2: the info is here, the piece layers are being fetched from peers
)

func (s Stall) String() string {
	switch s {
	case StallNone:
		return ""
	case StallDiskFull:
		return "disk full"
	case StallFilesChanged:
		return "files changed on disk"
	case StallNoMetadata:
		return "metadata not yet received"
	case StallTrackerUnreachable:
		return "tracker unreachable"
	case StallNoPeerSources:
		return "no way to find peers"
	case StallNoDHTNodes:
		return "no DHT nodes reachable"
	case StallNoPeers:
		return "no peers found"
	case StallPeersUnreachable:
		return "peers found but none connect"
	case StallChoked:
		return "all peers choke us"
	case StallNoPieces:
		return "no peer has the missing pieces"
	case StallWebSeeds:
		return "web seeds failing"
	case StallPieceLayers:
		return "fetching piece layers"
	}
	return "unknown"
}

// stalled says why the torrent does not move, and the line for the user.
func (t *torrent) stalled() (Stall, string) {
	switch {
	case t.paused || t.err != nil || t.opening != nil: // checking is moving
		return StallNone, ""
	case t.diskFull():
		return StallDiskFull, StallDiskFull.String()
	}
	if c := t.data.Load(); c != nil {
		if note := t.changedNote(c); note != "" {
			return StallFilesChanged, note
		}
	}
	switch {
	case t.layers != nil && len(t.peers) > 0:
		return StallPieceLayers, t.layersLine()
	case t.data.Load() == nil && len(t.peers) > 0:
		return StallNoMetadata, StallNoMetadata.String()
	case t.completed && t.data.Load() != nil:
		return StallNone, ""
	case time.Since(t.xfer.lastMove) < 5*time.Second:
		return StallNone, ""
	}
	if len(t.peers) == 0 {
		if line := t.webStalled(); line != "" {
			return StallWebSeeds, line
		}
		if len(t.known.addrs) == 0 {
			if t.src.trackerErr != "" {
				return StallTrackerUnreachable, "tracker unreachable: " + t.src.trackerErr
			}
			return t.whyNoPeers()
		}
		return StallPeersUnreachable, StallPeersUnreachable.String()
	}
	if t.data.Load() == nil {
		return StallNoMetadata, StallNoMetadata.String()
	}
	for _, p := range t.peers {
		if !p.peerChoking {
			return StallNoPieces, StallNoPieces.String()
		}
	}
	return StallChoked, StallChoked.String()
}

// whyNoPeers names what stands between a torrent and its first peer, from
// the sources it has.
func (t *torrent) whyNoPeers() (Stall, string) {
	dht := t.s.cfg.DHT != nil && !t.private()
	lsd := t.s.cfg.LSD && !t.private()
	switch {
	case len(t.src.trackers) == 0 && !dht && !lsd:
		return StallNoPeerSources, "no way to find peers: no trackers, no DHT, no LAN discovery (give a peer or a tracker)"
	case dht && len(t.src.trackers) == 0 && t.s.dhtNodes() == 0:
		return StallNoDHTNodes, "no DHT nodes reachable (check --dht-bootstrap) and no trackers"
	}
	return StallNoPeers, StallNoPeers.String()
}
