package transmission

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// rpcVersion is the RPC version shoal speaks: Transmission 3.00's, whose
// transmission-remote and web UI Debian ships.
const rpcVersion = 16

type sessionGetArgs struct {
	Fields []string `json:"fields"`
}

func (h *Handler) sessionGet(raw []byte) (any, error) {
	var a sessionGetArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	st := h.b.Settings()
	snap := h.b.Snapshot()
	free, err := h.b.FreeSpace(st.DownloadDir)
	if err != nil {
		free = -1 // as Transmission: it cannot be told
	}
	h.mu.Lock()
	rem := h.remember
	h.mu.Unlock()
	port := 0
	if ap, err := netip.ParseAddrPort(snap.ListenAddr); err == nil {
		port = int(ap.Port())
	}
	orRemembered := func(bps, kept int64) int64 {
		if bps > 0 {
			return kbps(bps)
		}
		return kept
	}
	ratio := st.SeedRatioLimit
	if ratio == 0 {
		ratio = rem.ratio
	}
	all := object{
		{"version", h.cfg.Version}, {"rpc-version", rpcVersion}, {"rpc-version-minimum", 14},
		{"session-id", h.sessionID},
		{"download-dir", st.DownloadDir}, {"download-dir-free-space", free},
		{"speed-limit-down", orRemembered(st.DownLimitBps, rem.downKBps)},
		{"speed-limit-down-enabled", st.DownLimitBps > 0},
		{"speed-limit-up", orRemembered(st.UpLimitBps, rem.upKBps)},
		{"speed-limit-up-enabled", st.UpLimitBps > 0},
		{"seedRatioLimit", ratio}, {"seedRatioLimited", st.SeedRatioLimit > 0},
		{"peer-port", port}, {"peer-port-random-on-start", false}, {"port-forwarding-enabled", false},
		{"peer-limit-global", st.PeerLimitGlobal}, {"peer-limit-per-torrent", st.PeerLimitPerTorrent},
		{"config-dir", st.ConfigDir}, {"encryption", st.Encryption}, {"cache-size-mb", 0},
		{"dht-enabled", snap.DHT.Enabled}, {"utp-enabled", false}, {"pex-enabled", st.PEX}, {"lpd-enabled", st.LSD},
		{"alt-speed-enabled", false}, {"alt-speed-down", 0}, {"alt-speed-up", 0},
		{"alt-speed-time-enabled", false}, {"alt-speed-time-begin", 0}, {"alt-speed-time-end", 0},
		{"alt-speed-time-day", 0}, {"start-added-torrents", true},
		{"incomplete-dir-enabled", false}, {"incomplete-dir", ""}, {"rename-partial-files", false},
		{"download-queue-enabled", false}, {"download-queue-size", 0}, {"seed-queue-enabled", false},
		{"seed-queue-size", 0}, {"queue-stalled-enabled", false}, {"queue-stalled-minutes", 0},
		{"idle-seeding-limit-enabled", false}, {"idle-seeding-limit", 0},
		{"blocklist-enabled", false}, {"blocklist-size", 0}, {"blocklist-url", ""},
		{"script-torrent-done-enabled", false}, {"script-torrent-done-filename", ""},
		{"trash-original-torrent-files", false},
		{"units", object{
			{"speed-units", []string{"kB/s", "MB/s", "GB/s", "TB/s"}}, {"speed-bytes", 1000},
			{"size-units", []string{"kB", "MB", "GB", "TB"}}, {"size-bytes", 1000},
			{"memory-units", []string{"KiB", "MiB", "GiB", "TiB"}}, {"memory-bytes", 1024},
		}},
	}
	if len(a.Fields) == 0 {
		return all, nil
	}
	// Fields are matched in any style (peer_limit_global, peer-limit-global).
	want := make(map[string]bool, len(a.Fields))
	for _, f := range a.Fields {
		want[snakeOf(f)] = true
	}
	out := make(object, 0, len(a.Fields))
	for _, e := range all {
		if want[snakeOf(e.k)] {
			out = append(out, e)
		}
	}
	return out, nil
}

type sessionSetArgs struct {
	DownloadDir           *string  `json:"download-dir"`
	SpeedLimitDown        *int64   `json:"speed-limit-down"`
	SpeedLimitDownEnabled *bool    `json:"speed-limit-down-enabled"`
	SpeedLimitUp          *int64   `json:"speed-limit-up"`
	SpeedLimitUpEnabled   *bool    `json:"speed-limit-up-enabled"`
	SeedRatioLimit        *float64 `json:"seedRatioLimit"`
	SeedRatioLimited      *bool    `json:"seedRatioLimited"`
	// Switches shoal has only one position of: accepted when they ask for
	// that position.
	AltSpeedEnabled    *bool `json:"alt-speed-enabled"`
	StartAddedTorrents *bool `json:"start-added-torrents"`
}

func (h *Handler) sessionSet(raw []byte) error {
	var a sessionSetArgs
	if err := decodeArgs(raw, &a); err != nil {
		return err
	}
	if a.AltSpeedEnabled != nil && *a.AltSpeedEnabled {
		return errors.New("alternative speed limits (turtle mode) are not supported by shoal")
	}
	if a.StartAddedTorrents != nil && !*a.StartAddedTorrents {
		return errors.New(`shoal always starts added torrents; pass "paused" to torrent-add instead`)
	}
	if a.DownloadDir != nil && *a.DownloadDir == "" {
		return errors.New("download-dir cannot be empty")
	}
	if a.SeedRatioLimit != nil && *a.SeedRatioLimit < 0 {
		return errors.New("seedRatioLimit cannot be negative")
	}
	h.mu.Lock()
	rem := h.remember
	h.mu.Unlock()
	var cerr error
	err := h.b.UpdateSettings(func(s *Settings) {
		n := *s // change s only when every argument checks out
		var err1, err2 error
		n.DownLimitBps, rem.downKBps, err1 = limit(s.DownLimitBps, a.SpeedLimitDown, a.SpeedLimitDownEnabled, rem.downKBps)
		n.UpLimitBps, rem.upKBps, err2 = limit(s.UpLimitBps, a.SpeedLimitUp, a.SpeedLimitUpEnabled, rem.upKBps)
		if cerr = errors.Join(err1, err2); cerr != nil {
			return
		}
		if a.DownloadDir != nil {
			n.DownloadDir = *a.DownloadDir
		}
		limited := s.SeedRatioLimit > 0
		if a.SeedRatioLimited != nil {
			limited = *a.SeedRatioLimited
		}
		if a.SeedRatioLimit != nil {
			rem.ratio = *a.SeedRatioLimit
		} else if s.SeedRatioLimit > 0 {
			rem.ratio = s.SeedRatioLimit
		}
		n.SeedRatioLimit = 0
		if limited {
			if rem.ratio == 0 {
				cerr = errors.New("a seed ratio limit of 0 is not supported by shoal; turn the limit off instead")
				return
			}
			n.SeedRatioLimit = rem.ratio
		}
		*s = n
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.remember.downKBps, h.remember.upKBps, h.remember.ratio = rem.downKBps, rem.upKBps, rem.ratio
	h.mu.Unlock()
	return nil
}

func (h *Handler) sessionStats(raw []byte) (any, error) {
	if err := decodeArgs(raw, &struct{}{}); err != nil {
		return nil, err
	}
	snap := h.b.Snapshot()
	var active, paused int
	var up, down int64
	for i := range snap.Torrents {
		t := &snap.Torrents[i]
		if status(t) == statusStopped {
			paused++
		} else {
			active++
		}
		up += t.Uploaded
		down += t.Downloaded
	}
	// shoal counts transfers per daemon run, so both blocks say the same.
	stats := object{
		{"uploadedBytes", up}, {"downloadedBytes", down}, {"filesAdded", len(snap.Torrents)},
		{"sessionCount", 1}, {"secondsActive", int64(time.Since(h.started) / time.Second)},
	}
	return object{
		{"activeTorrentCount", active}, {"pausedTorrentCount", paused}, {"torrentCount", len(snap.Torrents)},
		{"downloadSpeed", snap.DownBps}, {"uploadSpeed", snap.UpBps},
		{"cumulative-stats", stats}, {"current-stats", stats},
	}, nil
}

type freeSpaceArgs struct {
	Path string `json:"path"`
}

func (h *Handler) freeSpace(raw []byte) (any, error) {
	var a freeSpaceArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Path == "" {
		return nil, errors.New(`free-space needs "path"`)
	}
	n, err := h.b.FreeSpace(a.Path)
	if err != nil {
		return nil, fmt.Errorf("free-space %s: %w", a.Path, err)
	}
	return object{{"path", a.Path}, {"size-bytes", n}}, nil
}

type portTestArgs struct {
	IPProtocol string `json:"ipProtocol"` // RPC 17; shoal answers the same for both
}

// portTest answers from what shoal has seen, never by asking an outside
// service: the port is open once a peer has connected to us.
func (h *Handler) portTest(raw []byte) (any, error) {
	var a portTestArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if !h.incoming.Load() && sawIncoming(h.b.Snapshot()) {
		h.incoming.Store(true)
	}
	return object{{"port-is-open", h.incoming.Load()}}, nil
}

func sawIncoming(s *swarm.Snapshot) bool {
	for i := range s.Torrents {
		t := &s.Torrents[i]
		if t.Sources.Incoming > 0 {
			return true
		}
		for j := range t.Peers {
			if t.Peers[j].Incoming {
				return true
			}
		}
	}
	return false
}
