package transmission

import (
	"github.com/shoal-bt/shoal/swarm"
)

// Transmission's torrent status codes (rpc-spec, torrent-get "status").
const (
	statusStopped   = 0
	statusCheckWait = 1
	statusCheck     = 2
	statusDownWait  = 3
	statusDownload  = 4
	statusSeedWait  = 5
	statusSeed      = 6
)

// Transmission's "error" codes.
const (
	errNone         = 0
	errTrackerWarn  = 1
	errTrackerError = 2
	errLocal        = 3
)

// status maps shoal's states onto Transmission's codes. shoal has no
// queues, so the "waiting" codes are never used; fetching a magnet's
// metadata counts as downloading, and a torrent stopped by an error is
// stopped, with the error in "error"/"errorString" (as Transmission does).
func status(t *swarm.TorrentSnapshot) int {
	switch t.State {
	case swarm.StateChecking:
		return statusCheck
	case swarm.StateSeeding:
		return statusSeed
	case swarm.StatePaused, swarm.StateError:
		return statusStopped
	}
	return statusDownload
}

// torrentError is Transmission's error code and text for t: a local error
// when the engine stopped it, a tracker error when every tracker failed
// its last announce (one failing tracker among working ones is not).
func torrentError(t *swarm.TorrentSnapshot) (int, string) {
	if t.State == swarm.StateError {
		return errLocal, t.Err
	}
	if len(t.Trackers) == 0 {
		return errNone, ""
	}
	for _, tr := range t.Trackers {
		if tr.LastErr == "" {
			return errNone, ""
		}
	}
	return errTrackerError, "tracker gave an error: " + t.Trackers[0].LastErr
}

// hasMetadata says whether the torrent's info dict is known.
func hasMetadata(t *swarm.TorrentSnapshot) bool { return t.Pieces != nil }

// complete says every wanted piece is verified.
func complete(t *swarm.TorrentSnapshot) bool {
	return hasMetadata(t) && t.DoneBytes >= t.WantedBytes
}

// downloadingFrom and uploadingTo are Transmission's isDownloadingFrom and
// isUploadingTo: the peer lets us ask and we want, or the other way round.
func downloadingFrom(p *swarm.PeerSnapshot) bool { return p.AmInterested && !p.PeerChoking }
func uploadingTo(p *swarm.PeerSnapshot) bool     { return p.PeerInterested && !p.AmChoking }

// flagStr is the peer's flags in Transmission's letters: D/d downloading
// from it (or would, but it chokes us), U/u uploading to it (or would, but
// we choke it), K it unchokes us but we are not interested, ? we unchoke it
// but it is not interested, E encrypted, H from the DHT, X from PEX, I it
// connected to us.
func flagStr(p *swarm.PeerSnapshot) string {
	b := make([]byte, 0, 8)
	if downloadingFrom(p) {
		b = append(b, 'D')
	} else if p.AmInterested {
		b = append(b, 'd')
	}
	if uploadingTo(p) {
		b = append(b, 'U')
	} else if p.PeerInterested {
		b = append(b, 'u')
	}
	if !p.PeerChoking && !p.AmInterested {
		b = append(b, 'K')
	}
	if !p.AmChoking && !p.PeerInterested {
		b = append(b, '?')
	}
	if p.Encrypted {
		b = append(b, 'E')
	}
	switch p.Source {
	case swarm.SourceDHT:
		b = append(b, 'H')
	case swarm.SourcePEX:
		b = append(b, 'X')
	}
	if p.Incoming {
		b = append(b, 'I')
	}
	return string(b)
}
