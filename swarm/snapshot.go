package swarm

import (
	"time"
)

// InfoHash is a torrent's v1 infohash: the SHA-1 of its bencoded info dict.
type InfoHash [20]byte

// State is what a torrent is doing, in the words a user would use.
type State int

const (
	StateChecking    State = iota // verifying data already on disk
	StateMetadata                 // magnet: fetching the info dict from peers
	StateDownloading              // missing wanted pieces
	StateSeeding                  // has every wanted piece and serves them
	StatePaused                   // stopped by the user; keeps its state
	StateError                    // stopped by an error (see TorrentSnapshot.Err)
)

func (s State) String() string {
	switch s {
	case StateChecking:
		return "checking"
	case StateMetadata:
		return "fetching metadata"
	case StateDownloading:
		return "downloading"
	case StateSeeding:
		return "seeding"
	case StatePaused:
		return "paused"
	case StateError:
		return "error"
	}
	return "unknown"
}

// Source says how we learned of a peer.
type Source int

const (
	SourceManual   Source = iota // --peer, x.pe in a magnet
	SourceIncoming               // it connected to us
	SourceTracker
	SourceDHT
	SourcePEX
	SourceLSD
)

func (s Source) String() string {
	return [...]string{"manual", "incoming", "tracker", "dht", "pex", "lsd"}[s]
}

// PieceState is one piece's state in a TorrentSnapshot's piece map.
type PieceState uint8

const (
	PieceMissing  PieceState = iota
	PieceInFlight            // some blocks requested or received
	PieceDone                // verified against its hash
	PieceFailed              // failed its hash last time and is wanted again
	PieceSkipped             // in no wanted file
)

// Priority is a file's download priority. The zero value is normal.
type Priority int8

const (
	PrioritySkip   Priority = -1 // don't download
	PriorityNormal Priority = 0
	PriorityHigh   Priority = 1
)

// Snapshot is an immutable picture of a Session, published every few
// hundred milliseconds. Nobody may modify one after it is published: the
// engine builds a new one each time, so readers need no locks.
type Snapshot struct {
	Taken      time.Time
	ListenAddr string // the address peers connect to, "host:port"
	Torrents   []TorrentSnapshot
	DHT        DHTSnapshot
	DownBps    int64 // all torrents together
	UpBps      int64
}

// TorrentSnapshot is one torrent. Rates are bytes per second of payload,
// averaged over the last few seconds.
type TorrentSnapshot struct {
	InfoHash InfoHash
	Name     string
	Magnet   string
	State    State
	Err      string // set in StateError
	// Cause is the error behind Err, for errors.Is (ErrExistingData,
	// pieces.ErrUnsafePath, ...); nil when there is none.
	Cause error
	// Stall is why the torrent does not move (StallNone while it moves);
	// Stalled says it in one line with details ("tracker unreachable:
	// connection refused"). Programs compare Stall.
	Stall   Stall
	Stalled string
	Private bool
	AddedAt time.Time
	DataDir string // the directory holding the torrent's top-level file or folder

	SizeBytes   int64 // total; 0 until metadata is known
	WantedBytes int64 // in files not skipped
	DoneBytes   int64 // verified and wanted
	// Verified is set once every wanted piece passed its SHA-1 and, when the
	// torrent carries them, every wanted file its BLAKE3 digest: the moment
	// `shoal get` may exit 0.
	Verified   bool
	Sequential bool // downloading in order (AddOptions.Sequential, SetSequential)
	// SuperSeeding: BEP 16 initial seeding is on (AddOptions.SuperSeed),
	// until every piece has reached a peer.
	SuperSeeding bool
	DownBps      int64
	UpBps        int64
	Downloaded   int64         // payload bytes received this session
	Uploaded     int64         // payload bytes sent this session
	Wasted       int64         // bytes discarded: failed hashes, duplicates, unrequested
	ETA          time.Duration // -1 when unknown

	// Edited lists the files the user changed on disk after shoal had them
	// complete; LostToEdits counts the wanted bytes that are missing because
	// of such a file (or of one being re-checked). shoal does not download
	// over a user's edit (AddOptions.Force does); while LostToEdits is not
	// zero the torrent is not Verified.
	Edited      []string
	LostToEdits int64

	PeersConnected int
	PeersKnown     int // addresses we could try
	Seeds          int // connected peers that have everything

	MetadataHave  int // magnet: metadata pieces received
	MetadataTotal int
	// LayersHave of LayersTotal files have their piece layer, while a
	// v2-only torrent fetches them from peers (StateMetadata still);
	// both 0 otherwise.
	LayersHave, LayersTotal int

	// In StateChecking: pieces of the data on disk hashed so far, of how
	// many need it (0 of 0 until the check has begun, or when the resume
	// record spares it).
	CheckDone, CheckTotal int

	PieceLength int64
	Pieces      []PieceState // one per piece; nil until metadata is known
	// Availability counts the connected peers holding each piece, capped
	// at 255.
	Availability []uint8

	Files    []FileSnapshot
	Peers    []PeerSnapshot
	Banned   []BannedPeer
	Trackers []TrackerSnapshot
	WebSeeds []WebSeedSnapshot // BEP 19, from the .torrent's url-list or the magnet's ws=
	Sources  SourceCounts
	// PeerTotals covers every peer address connected this session, also
	// those gone since, sorted by address.
	PeerTotals []PeerTotal
}

// Progress is the verified fraction of the wanted bytes, 0 to 1.
func (t *TorrentSnapshot) Progress() float64 {
	if t.WantedBytes == 0 {
		if t.State == StateSeeding {
			return 1
		}
		return 0
	}
	return float64(t.DoneBytes) / float64(t.WantedBytes)
}

// CheckProgress is the fraction of the check done, 0 to 1, in
// StateChecking.
func (t *TorrentSnapshot) CheckProgress() float64 {
	if t.CheckTotal == 0 {
		return 0
	}
	return float64(t.CheckDone) / float64(t.CheckTotal)
}

// Ratio is uploaded over downloaded, or over the size for a torrent that
// was seeded from disk.
func (t *TorrentSnapshot) Ratio() float64 {
	d := t.Downloaded
	if d == 0 {
		d = t.SizeBytes
	}
	if d == 0 {
		return 0
	}
	return float64(t.Uploaded) / float64(d)
}

// PeerSnapshot is one connected peer.
type PeerSnapshot struct {
	Addr      string // "ip:port"
	Client    string // from the peer id or the extension handshake, "" if unknown
	Source    Source
	Incoming  bool
	Encrypted bool

	AmChoking      bool // we choke them
	AmInterested   bool
	PeerChoking    bool // they choke us
	PeerInterested bool
	Snubbed        bool // sent nothing we asked for in a while

	DownBps    int64
	UpBps      int64
	Downloaded int64 // payload received from them
	Uploaded   int64 // payload sent to them
	Progress   float64
	// RequestsOut are our requests in flight to them; RequestsIn theirs to us.
	RequestsOut int
	RequestsIn  int
	ConnectedAt time.Time
}

// BannedPeer is a peer we refuse, and why.
type BannedPeer struct {
	Addr   string
	Reason string
	At     time.Time
}

// FileSnapshot is one file of a torrent.
type FileSnapshot struct {
	Path      string // slash-separated, under the torrent's name
	SizeBytes int64
	DoneBytes int64 // bytes in verified pieces
	Priority  Priority
}

// TrackerSnapshot is one tracker URL and how announcing to it goes.
type TrackerSnapshot struct {
	URL          string
	LastAnnounce time.Time // zero if never
	NextAnnounce time.Time
	LastErr      string // empty after a success
	Seeders      int    // as the tracker last said, -1 if unknown
	Leechers     int
	PeersGot     int // peers in the last reply
}

// SourceCounts counts known peers by where they came from.
type SourceCounts struct {
	Tracker, DHT, PEX, LSD, Manual, Incoming int
}

// DHTSnapshot describes the session's DHT node.
type DHTSnapshot struct {
	Enabled         bool
	Addr            string
	Nodes           int // in the routing table
	GoodNodes       int
	LastLookup      time.Time
	LastLookupPeers int
}

// EventKind says what an Event is about.
type EventKind int

const (
	EventAdded     EventKind = iota
	EventMetadata            // a magnet's info dict arrived and checked out
	EventCompleted           // every wanted piece verified
	EventVerified            // BLAKE3 file digests matched after download
	EventTrackerError
	EventPeerBanned
	EventDiskFull
	EventError
	EventPaused
	EventResumed
	EventRemoved
	EventDataChanged // a file changed on disk: its pieces are re-checked, and those that no longer match are not fetched over the edit
	EventChecked     // a check asked for (Verify) ended: Msg says how many pieces matched and how many are fetched again
	// A web seed is not used again this session: Peer is its URL, Msg
	// why. The torrent goes on with its other sources.
	EventWebSeedDropped
	// Wanted files were whole on disk before anything was fetched (at
	// their path, or put in place from the library or a --reuse folder):
	// Had counts them, Msg says "already had N of M files (X GiB)".
	EventAlreadyHad
)

func (k EventKind) String() string {
	return [...]string{"added", "metadata", "completed", "verified", "tracker-error",
		"peer-banned", "disk-full", "error", "paused", "resumed", "removed", "data-changed", "checked",
		"web-seed-dropped", "already-had"}[k]
}

// Event is a discrete thing that happened, sent on Session.Events. Slow
// readers miss events rather than slow the engine down.
type Event struct {
	Time     time.Time
	Kind     EventKind
	InfoHash InfoHash
	Name     string
	Peer     string // for peer events
	Msg      string // human text, e.g. the error or the ban reason
	Had      *Had   `json:",omitempty"` // for EventAlreadyHad
}
