package transmission

import (
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// row is one torrent while its fields are filled.
type row struct {
	id         int
	t          *swarm.TorrentSnapshot
	now        time.Time
	lastActive time.Time // zero if never seen moving
	b          Backend

	limits    TorrentLimits
	limitsErr error
	gotLimits bool
}

func (r *row) lim() (TorrentLimits, bool) {
	if !r.gotLimits {
		r.limits, r.limitsErr = r.b.Limits(r.t.InfoHash)
		r.gotLimits = true
	}
	return r.limits, r.limitsErr == nil
}

// field computes one torrent-get field; ok false leaves it out (shoal does
// not know it).
type field func(r *row) (v any, ok bool)

func always(f func(r *row) any) field { return func(r *row) (any, bool) { return f(r), true } }

// fields are the torrent-get keys shoal serves, named as in rpc-spec
// (RPC version 16/17). Keys Transmission has that shoal cannot know are
// in unknownFields and are left out of the answer.
var fields = map[string]field{
	"id":         always(func(r *row) any { return r.id }),
	"hashString": always(func(r *row) any { return hex.EncodeToString(r.t.InfoHash[:]) }),
	"name":       always(func(r *row) any { return displayName(r.t) }),
	"status":     always(func(r *row) any { return status(r.t) }),
	"error":      always(func(r *row) any { c, _ := torrentError(r.t); return c }),
	"errorString": always(func(r *row) any {
		_, s := torrentError(r.t)
		return s
	}),
	"percentDone": always(func(r *row) any { return r.t.Progress() }),
	"percentComplete": always(func(r *row) any {
		if r.t.SizeBytes == 0 {
			return 0
		}
		return float64(haveValid(r.t)) / float64(r.t.SizeBytes)
	}),
	"metadataPercentComplete": always(func(r *row) any {
		switch {
		case hasMetadata(r.t):
			return 1
		case r.t.MetadataTotal == 0:
			return 0
		}
		return float64(r.t.MetadataHave) / float64(r.t.MetadataTotal)
	}),
	"rateDownload":  always(func(r *row) any { return r.t.DownBps }),
	"rateUpload":    always(func(r *row) any { return r.t.UpBps }),
	"eta":           always(func(r *row) any { return eta(r.t) }),
	"etaIdle":       always(func(r *row) any { return -1 }),
	"totalSize":     always(func(r *row) any { return r.t.SizeBytes }),
	"sizeWhenDone":  always(func(r *row) any { return r.t.WantedBytes }),
	"leftUntilDone": always(func(r *row) any { return max(r.t.WantedBytes-r.t.DoneBytes, 0) }),
	"haveValid":     always(func(r *row) any { return haveValid(r.t) }),
	"haveUnchecked": always(func(r *row) any { return 0 }),
	"desiredAvailable": always(func(r *row) any {
		return desiredAvailable(r.t)
	}),
	"corruptEver":         always(func(r *row) any { return r.t.Wasted }),
	"downloadedEver":      always(func(r *row) any { return r.t.Downloaded }),
	"uploadedEver":        always(func(r *row) any { return r.t.Uploaded }),
	"uploadRatio":         always(func(r *row) any { return r.t.Ratio() }),
	"addedDate":           always(func(r *row) any { return unix(r.t.AddedAt) }),
	"startDate":           always(func(r *row) any { return unix(r.t.AddedAt) }),
	"activityDate":        always(func(r *row) any { return unix(r.lastActive) }),
	"doneDate":            always(func(r *row) any { return 0 }),
	"dateCreated":         always(func(r *row) any { return 0 }),
	"editDate":            always(func(r *row) any { return 0 }),
	"comment":             always(func(r *row) any { return "" }),
	"creator":             always(func(r *row) any { return "" }),
	"downloadDir":         always(func(r *row) any { return r.t.DataDir }),
	"isFinished":          always(func(r *row) any { return r.t.State == swarm.StatePaused && complete(r.t) }),
	"isPrivate":           always(func(r *row) any { return r.t.Private }),
	"sequentialDownload":  always(func(r *row) any { return r.t.Sequential }),
	"isStalled":           always(func(r *row) any { return r.t.Stalled != "" }),
	"magnetLink":          always(func(r *row) any { return r.t.Magnet }),
	"pieceCount":          always(func(r *row) any { return len(r.t.Pieces) }),
	"pieceSize":           always(func(r *row) any { return r.t.PieceLength }),
	"pieces":              always(func(r *row) any { return piecesBitfield(r.t) }),
	"peersConnected":      always(func(r *row) any { return r.t.PeersConnected }),
	"peersSendingToUs":    always(func(r *row) any { return countPeers(r.t, downloadingFrom) }),
	"peersGettingFromUs":  always(func(r *row) any { return countPeers(r.t, uploadingTo) }),
	"peersFrom":           always(func(r *row) any { return peersFrom(r.t) }),
	"peers":               always(func(r *row) any { return peers(r.t) }),
	"files":               always(func(r *row) any { return files(r.t) }),
	"fileStats":           always(func(r *row) any { return fileStats(r.t) }),
	"file-count":          always(func(r *row) any { return len(r.t.Files) }),
	"priorities":          always(func(r *row) any { return priorities(r.t) }),
	"wanted":              always(func(r *row) any { return wanted(r.t) }),
	"trackers":            always(func(r *row) any { return trackers(r.t) }),
	"trackerStats":        always(func(r *row) any { return trackerStats(r.t) }),
	"trackerList":         always(func(r *row) any { return trackerList(r.t) }),
	"webseeds":            always(func(r *row) any { return webSeedURLs(r.t) }),
	"webseedsSendingToUs": always(func(r *row) any { return webSeedsSending(r.t) }),
	"labels":              always(func(r *row) any { return []string{} }),
	"queuePosition":       always(func(r *row) any { return r.id }),
	"bandwidthPriority":   always(func(r *row) any { return 0 }),
	"honorsSessionLimits": always(func(r *row) any { return true }),
	"recheckProgress":     always(func(r *row) any { return 0 }),
	"seedIdleMode":        always(func(r *row) any { return 0 }),
	"seedIdleLimit":       always(func(r *row) any { return 0 }),
	"downloadLimit": func(r *row) (any, bool) {
		l, ok := r.lim()
		return kbps(l.DownLimitBps), ok
	},
	"downloadLimited": func(r *row) (any, bool) { l, ok := r.lim(); return l.DownLimitBps > 0, ok },
	"uploadLimit": func(r *row) (any, bool) {
		l, ok := r.lim()
		return kbps(l.UpLimitBps), ok
	},
	"uploadLimited":  func(r *row) (any, bool) { l, ok := r.lim(); return l.UpLimitBps > 0, ok },
	"seedRatioLimit": func(r *row) (any, bool) { l, ok := r.lim(); return l.SeedRatio, ok },
	"seedRatioMode":  func(r *row) (any, bool) { l, ok := r.lim(); return int(l.SeedRatioMode), ok },
}

// unknownFields are Transmission's keys whose values shoal does not have;
// asking for them is not an error, they are just left out.
var unknownFields = map[string]bool{
	"peer-limit": true, "maxConnectedPeers": true, "secondsDownloading": true, "secondsSeeding": true,
	"manualAnnounceTime": true, "torrentFile": true, "availability": true, "group": true,
	"primary-mime-type": true,
}

// kbps turns bytes per second into Transmission's speed unit (1000 B/s).
func kbps(bps int64) int64 { return bps / 1000 }

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func displayName(t *swarm.TorrentSnapshot) string {
	if t.Name != "" {
		return t.Name
	}
	return hex.EncodeToString(t.InfoHash[:])
}

// eta follows Transmission: -1 when there is nothing left to download,
// -2 when it cannot be told.
func eta(t *swarm.TorrentSnapshot) int64 {
	switch {
	case complete(t):
		return -1
	case t.ETA < 0 || t.State != swarm.StateDownloading:
		return -2
	}
	return int64(t.ETA / time.Second)
}

func pieceBytes(t *swarm.TorrentSnapshot, i int) int64 {
	if i == len(t.Pieces)-1 {
		return t.SizeBytes - int64(i)*t.PieceLength
	}
	return t.PieceLength
}

// haveValid counts the bytes of verified pieces, wanted or not.
func haveValid(t *swarm.TorrentSnapshot) int64 {
	var n int64
	for i, p := range t.Pieces {
		if p == swarm.PieceDone {
			n += pieceBytes(t, i)
		}
	}
	return n
}

// desiredAvailable counts wanted missing bytes some connected peer has.
func desiredAvailable(t *swarm.TorrentSnapshot) int64 {
	var n int64
	for i, p := range t.Pieces {
		if p != swarm.PieceDone && p != swarm.PieceSkipped && i < len(t.Availability) && t.Availability[i] > 0 {
			n += pieceBytes(t, i)
		}
	}
	return n
}

// piecesBitfield is the verified pieces, high bit first, in base64.
func piecesBitfield(t *swarm.TorrentSnapshot) string {
	bits := make([]byte, (len(t.Pieces)+7)/8)
	for i, p := range t.Pieces {
		if p == swarm.PieceDone {
			bits[i/8] |= 0x80 >> (i % 8)
		}
	}
	return base64.StdEncoding.EncodeToString(bits)
}

func countPeers(t *swarm.TorrentSnapshot, f func(*swarm.PeerSnapshot) bool) int {
	n := 0
	for i := range t.Peers {
		if f(&t.Peers[i]) {
			n++
		}
	}
	return n
}

func peersFrom(t *swarm.TorrentSnapshot) object {
	var by [6]int
	for i := range t.Peers {
		if s := int(t.Peers[i].Source); s >= 0 && s < len(by) {
			by[s]++
		}
	}
	return object{
		{"fromCache", 0}, {"fromDht", by[swarm.SourceDHT]}, {"fromIncoming", by[swarm.SourceIncoming]},
		{"fromLpd", by[swarm.SourceLSD]}, {"fromLtep", by[swarm.SourcePEX]}, {"fromPex", 0},
		{"fromTracker", by[swarm.SourceTracker]},
	}
}

func peers(t *swarm.TorrentSnapshot) []object {
	out := make([]object, 0, len(t.Peers))
	for i := range t.Peers {
		p := &t.Peers[i]
		addr, port := p.Addr, 0
		if ap, err := netip.ParseAddrPort(p.Addr); err == nil {
			addr, port = ap.Addr().Unmap().String(), int(ap.Port())
		}
		out = append(out, object{
			{"address", addr}, {"port", port}, {"clientName", p.Client}, {"flagStr", flagStr(p)},
			{"progress", p.Progress}, {"rateToClient", p.DownBps}, {"rateToPeer", p.UpBps},
			{"clientIsChoked", p.PeerChoking}, {"clientIsInterested", p.AmInterested},
			{"peerIsChoked", p.AmChoking}, {"peerIsInterested", p.PeerInterested},
			{"isDownloadingFrom", downloadingFrom(p)}, {"isUploadingTo", uploadingTo(p)},
			{"isEncrypted", p.Encrypted}, {"isIncoming", p.Incoming}, {"isUTP", false},
		})
	}
	return out
}

func files(t *swarm.TorrentSnapshot) []object {
	out := make([]object, 0, len(t.Files))
	for _, f := range t.Files {
		out = append(out, object{{"bytesCompleted", f.DoneBytes}, {"length", f.SizeBytes}, {"name", f.Path}})
	}
	return out
}

// filePriority maps shoal's priorities onto Transmission's wanted flag and
// priority: a skipped file is unwanted at normal priority.
func filePriority(p swarm.Priority) (wanted bool, prio int) {
	switch p {
	case swarm.PrioritySkip:
		return false, 0
	case swarm.PriorityHigh:
		return true, 1
	}
	return true, 0
}

func fileStats(t *swarm.TorrentSnapshot) []object {
	out := make([]object, 0, len(t.Files))
	for _, f := range t.Files {
		w, p := filePriority(f.Priority)
		out = append(out, object{{"bytesCompleted", f.DoneBytes}, {"wanted", w}, {"priority", p}})
	}
	return out
}

func priorities(t *swarm.TorrentSnapshot) []int {
	out := make([]int, 0, len(t.Files))
	for _, f := range t.Files {
		_, p := filePriority(f.Priority)
		out = append(out, p)
	}
	return out
}

// wanted is 0/1 numbers, as Transmission sends them.
func wanted(t *swarm.TorrentSnapshot) []int {
	out := make([]int, 0, len(t.Files))
	for _, f := range t.Files {
		w, _ := filePriority(f.Priority)
		out = append(out, map[bool]int{false: 0, true: 1}[w])
	}
	return out
}

// webSeedURLs are every web seed of the torrent (BEP 19), dropped ones too,
// as Transmission lists its metainfo's url-list.
func webSeedURLs(t *swarm.TorrentSnapshot) []string {
	out := make([]string, 0, len(t.WebSeeds))
	for _, ws := range t.WebSeeds {
		out = append(out, ws.URL)
	}
	return out
}

// webSeedsSending counts the web seeds with requests in flight, as
// Transmission counts those transferring pieces: a rate would say 0 for a
// seed that is slow to answer but still being asked.
func webSeedsSending(t *swarm.TorrentSnapshot) int {
	n := 0
	for _, ws := range t.WebSeeds {
		if ws.State != swarm.WebSeedDropped && ws.Requests > 0 {
			n++
		}
	}
	return n
}
