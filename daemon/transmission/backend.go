package transmission

import (
	"context"
	"errors"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// ErrUnsupported is wrapped by Backend methods for what the engine cannot
// do yet; the handler reports the error's text as the call's result.
var ErrUnsupported = errors.New("not supported by shoal yet")

// Backend is what the handler needs of the daemon. Every error a method
// returns is shown to the RPC client as the call's "result" string, so its
// text must be fit for a user. Methods must be safe for concurrent use.
type Backend interface {
	// Snapshot is the session's latest published snapshot: never nil,
	// never modified after it is returned.
	Snapshot() *swarm.Snapshot
	// ID is the torrent's number: given when the daemon first sees the
	// torrent and never reused while it runs (Transmission's ids, which
	// remotes keep between calls). 0 means the torrent is unknown.
	ID(ih swarm.InfoHash) int

	// Add adds a torrent. A torrent already present is not an error: Added
	// says Duplicate and names it.
	Add(ctx context.Context, req AddRequest) (Added, error)
	Start(ih swarm.InfoHash) error
	Stop(ih swarm.InfoHash) error
	Remove(ih swarm.InfoHash, deleteData bool) error
	// Verify re-checks the torrent's data on disk.
	Verify(ih swarm.InfoHash) error
	SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error
	// SetSequential turns downloading in order on or off (4.1's
	// sequential_download).
	SetSequential(ih swarm.InfoHash, on bool) error

	// Limits are the torrent's own limits.
	Limits(ih swarm.InfoHash) (TorrentLimits, error)
	// UpdateLimits calls change on the torrent's limits and applies the
	// result, as one step: change must not call the Backend.
	UpdateLimits(ih swarm.InfoHash, change func(*TorrentLimits)) error
	Settings() Settings
	// UpdateSettings is UpdateLimits for the session's settings.
	UpdateSettings(change func(*Settings)) error

	// FreeSpace is the space available to the user under path, in bytes.
	FreeSpace(path string) (int64, error)
}

// AddRequest is a torrent to add: Source, or Metainfo when Source is "".
type AddRequest struct {
	Source   string // a magnet link, an http(s) URL of a .torrent, or a local .torrent path
	Metainfo []byte // the bytes of a .torrent file
	Dir      string // download directory; "" means Settings.DownloadDir
	Paused   bool
	// Select is torrent-add's files-wanted and files-unwanted, applied
	// before any piece is fetched (a magnet's once its file list arrives),
	// so an unwanted file is never created. nil wants every file.
	Select     *pieces.Selection
	Sequential bool // download in order
}

// Added names the torrent an AddRequest added or found already there.
type Added struct {
	InfoHash  swarm.InfoHash
	ID        int
	Name      string // "" for a magnet whose metadata has not arrived
	Duplicate bool   // it was already there; nothing changed
}

// RatioMode says which seed ratio limit a torrent follows.
type RatioMode int

const (
	RatioSession   RatioMode = iota // Settings.SeedRatioLimit
	RatioOwn                        // TorrentLimits.SeedRatio
	RatioUnlimited                  // seed forever
)

// TorrentLimits are one torrent's limits. A zero rate means no limit of the
// torrent's own (the session's still applies).
type TorrentLimits struct {
	DownLimitBps  int64
	UpLimitBps    int64
	SeedRatio     float64 // uploaded/downloaded at which seeding stops, under RatioOwn
	SeedRatioMode RatioMode
}

// Settings are the session's settings a remote may read and change. A
// zero rate or ratio means no limit.
type Settings struct {
	DownloadDir    string
	DownLimitBps   int64
	UpLimitBps     int64
	SeedRatioLimit float64

	// What the engine was started with, for session-get's CONFIG and
	// LIMITS (transmission-remote -si); session-set leaves them alone.
	ConfigDir           string
	PeerLimitPerTorrent int
	PeerLimitGlobal     int    // shoal has no cap of its own: the open-file limit bounds its connections
	Encryption          string // in Transmission's words: required, preferred or tolerated
	PEX, LSD            bool
}
