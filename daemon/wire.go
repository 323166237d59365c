package daemon

import (
	"encoding/hex"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// The control API's JSON shapes, shared by the server and Client. Field
// names are snake_case and only ever added to, so older clients keep
// working. Two once went out in camelCase (superSeed, reuseLink); they
// are still read (wire_compat.go).

// AddRequest adds a torrent: Source (a magnet link, an http(s) URL of a
// .torrent, or the path of a .torrent file the daemon can read) or
// Metainfo (the .torrent's bytes).
type AddRequest struct {
	Source   string   `json:"source,omitempty"`
	Metainfo []byte   `json:"metainfo,omitempty"` // base64 in JSON
	Dir      string   `json:"dir,omitempty"`      // absolute; "" means the daemon's download dir
	Paused   bool     `json:"paused,omitempty"`
	Labels   []string `json:"labels,omitempty"` // free-form tags, shown and filtered on
	// Select chooses files (shoal add --only, --skip, --files). A torrent's
	// is checked at once; a magnet's when its info arrives, and then it
	// wins over the link's so=.
	Select *pieces.Selection `json:"select,omitempty"`
	// Sequential downloads in order, for playing while it downloads.
	Sequential bool `json:"sequential,omitempty"`
	// SuperSeed makes a complete torrent an initial seed by BEP 16 (shoal
	// seed --daemon --super-seed): it sends about one copy while its
	// peers trade the rest.
	SuperSeed bool `json:"super_seed,omitempty"`
	// Trusted says the data in Dir was just hashed into Metainfo (shoal
	// seed --daemon), so no piece needs checking. Only honoured from the
	// Unix socket.
	Trusted bool `json:"trusted,omitempty"`
	// Reuse names folders (absolute; under allowed_dirs for HTTP clients)
	// to look in for the torrent's files before fetching them, besides the
	// daemon's own torrents (shoal add --reuse); ReuseLink allows hard
	// links where a reflink cannot be made (--reuse-link).
	Reuse     []string `json:"reuse,omitempty"`
	ReuseLink bool     `json:"reuse_link,omitempty"`
}

// Added is the answer to an add.
type Added struct {
	ID       int    `json:"id"`
	InfoHash string `json:"infohash"`
	Name     string `json:"name"`
}

// Row is one torrent in a list.
type Row struct {
	ID          int      `json:"id"`
	InfoHash    string   `json:"infohash"`
	Name        string   `json:"name"`
	State       string   `json:"state"`
	Progress    float64  `json:"progress"` // 0 to 1 of the wanted bytes
	SizeBytes   int64    `json:"size_bytes"`
	WantedBytes int64    `json:"wanted_bytes"`
	DoneBytes   int64    `json:"done_bytes"`
	Verified    bool     `json:"verified"`
	DownBps     int64    `json:"down_bps"`
	UpBps       int64    `json:"up_bps"`
	Peers       int      `json:"peers"`
	Seeds       int      `json:"seeds"`
	ETASeconds  int64    `json:"eta_seconds"` // -1 when unknown
	Uploaded    int64    `json:"uploaded_bytes"`
	Downloaded  int64    `json:"downloaded_bytes"`
	Ratio       float64  `json:"ratio"`
	Dir         string   `json:"dir"`
	Error       string   `json:"error,omitempty"`
	Stalled     string   `json:"stalled,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Sequential  bool     `json:"sequential,omitempty"` // downloading in order
	// SuperSeeding: BEP 16 initial seeding, until every piece reached a peer.
	SuperSeeding bool `json:"super_seeding,omitempty"`
}

// Detail is one torrent in full: the engine's snapshot of it, with its
// infohash and state spelled out for scripts.
type Detail struct {
	ID       int                   `json:"id"`
	InfoHash string                `json:"infohash"`
	State    string                `json:"state"`
	Torrent  swarm.TorrentSnapshot `json:"torrent"`
	// Blocked counts the distinct addresses of this torrent's peers that
	// the IP blocklist kept it from dialling.
	Blocked int `json:"blocked"`
	// Settings are the torrent's own goals and labels, and its totals
	// from earlier runs.
	Settings TorrentSettings `json:"settings"`
	// URLs are the files' stream URLs (package stream), in file order;
	// empty until the file list is known or when no stream server runs.
	URLs []string `json:"urls"`
}

// SetRequest changes a torrent's settings; nil fields stay as they are.
type SetRequest struct {
	DownLimitBps *int64         `json:"down_limit_bps,omitempty"` // 0 = unlimited
	UpLimitBps   *int64         `json:"up_limit_bps,omitempty"`
	Files        []FilePriority `json:"files,omitempty"`
	// SeedRatio and SeedTimeSeconds set the torrent's seeding goals: 0
	// follows the global ones, below 0 means none, above 0 is the limit.
	SeedRatio       *float64  `json:"seed_ratio,omitempty"`
	SeedTimeSeconds *int64    `json:"seed_time_seconds,omitempty"`
	Labels          *[]string `json:"labels,omitempty"` // replaces the labels; [] clears them
	Sequential      *bool     `json:"sequential,omitempty"`
}

// FilePriority sets one file's priority: "skip", "normal" or "high".
type FilePriority struct {
	Index    int    `json:"index"` // from 0, in the order 'shoal show' lists files
	Priority string `json:"priority"`
}

// RemoveRequest removes torrents; DeleteData also deletes their files.
type RemoveRequest struct {
	DeleteData bool `json:"delete_data,omitempty"`
}

// Status describes the daemon.
type Status struct {
	PID        int       `json:"pid"`
	Version    string    `json:"version,omitempty"`
	Started    time.Time `json:"started"`
	ListenAddr string    `json:"listen_addr"`
	Torrents   int       `json:"torrents"`
	DownBps    int64     `json:"down_bps"`
	UpBps      int64     `json:"up_bps"`
	StateDir   string    `json:"state_dir"`
	// Blocked counts connections the IP blocklist refused (dials not
	// made, accepts closed) since the daemon started.
	Blocked int64 `json:"blocked"`
}

func rowOf(id int, t *swarm.TorrentSnapshot) Row {
	eta := int64(-1)
	if t.ETA >= 0 {
		eta = int64(t.ETA / time.Second)
	}
	return Row{
		ID: id, InfoHash: hex.EncodeToString(t.InfoHash[:]), Name: t.Name, State: t.State.String(),
		Progress: t.Progress(), SizeBytes: t.SizeBytes, WantedBytes: t.WantedBytes, DoneBytes: t.DoneBytes,
		Verified: t.Verified, DownBps: t.DownBps, UpBps: t.UpBps, Peers: t.PeersConnected, Seeds: t.Seeds,
		ETASeconds: eta, Uploaded: t.Uploaded, Downloaded: t.Downloaded, Ratio: t.Ratio(), Dir: t.DataDir,
		Error: t.Err, Stalled: t.Stalled, Sequential: t.Sequential, SuperSeeding: t.SuperSeeding,
	}
}

// ParsePriority reads "skip", "normal" or "high".
func ParsePriority(s string) (swarm.Priority, bool) {
	switch s {
	case "skip":
		return swarm.PrioritySkip, true
	case "normal":
		return swarm.PriorityNormal, true
	case "high":
		return swarm.PriorityHigh, true
	}
	return 0, false
}

func hexOf(ih swarm.InfoHash) string { return hex.EncodeToString(ih[:]) }
