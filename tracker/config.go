package tracker

import (
	"fmt"
	"log/slog"
	"time"
)

// Off as a listen address disables that frontend.
const Off = "off"

// Config configures a Server. Zero values mean the defaults in the comments.
type Config struct {
	HTTPAddr string // "" means ":6969"; Off disables HTTP (and the status page)
	UDPAddr  string // "" means ":6969"; Off disables UDP

	Interval       time.Duration // announce interval peers are told; 0 means 2m
	MinInterval    time.Duration // announces sooner get the cached answer; 0 means 30s
	PeerTTL        time.Duration // a peer silent this long is dropped; 0 means 2×Interval
	DefaultNumWant int           // peers returned when the peer does not say; 0 means 50
	MaxNumWant     int           // cap on numwant; 0 means 200

	AllowFile    string        // if set, only infohashes in this file (hex, one per line, optional name after it)
	TorrentsDir  string        // if set, only torrents whose .torrent files are in this folder
	PasskeysFile string        // if set, announces need /announce/<key> with a key from this file
	ReloadEvery  time.Duration // how often the three files above are checked for changes; 0 means 2s

	StateFile string        // completed counters survive restarts here; "" keeps them in memory only
	SaveEvery time.Duration // 0 means 1m; the counters are also written when Run returns

	RatePerIP   float64 // sustained requests per second per IP (per /64 for IPv6); 0 means 50
	BurstPerIP  int     // requests an IP may send at once, e.g. a client starting 1,000 torrents; 0 means 1000
	NoRateLimit bool    // for load tests: no per-IP limit

	MaxSwarms         int // torrents tracked at once; 0 means 1,000,000
	MaxHTTPConns      int // concurrent HTTP connections; 0 means 4096
	MaxHTTPConnsPerIP int // of those, from one IP (one /64 for IPv6); 0 means MaxHTTPConns/64 (at least 4)

	Logger *slog.Logger // nil means slog.Default()
}

// withDefaults returns a copy of c with every zero field set and checks the
// rest.
func (c Config) withDefaults() (Config, error) {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":6969"
	}
	if c.UDPAddr == "" {
		c.UDPAddr = ":6969"
	}
	if c.HTTPAddr == Off && c.UDPAddr == Off {
		return c, fmt.Errorf("%w: both HTTP and UDP are off", ErrConfig)
	}
	if c.Interval == 0 {
		c.Interval = 2 * time.Minute
	}
	if c.MinInterval == 0 {
		c.MinInterval = min(30*time.Second, c.Interval)
	}
	if c.PeerTTL == 0 {
		c.PeerTTL = 2 * c.Interval
	}
	if c.DefaultNumWant == 0 {
		c.DefaultNumWant = 50
	}
	if c.MaxNumWant == 0 {
		c.MaxNumWant = 200
	}
	if c.ReloadEvery == 0 {
		c.ReloadEvery = 2 * time.Second
	}
	if c.SaveEvery == 0 {
		c.SaveEvery = time.Minute
	}
	if c.RatePerIP == 0 {
		c.RatePerIP = 50
	}
	if c.BurstPerIP == 0 {
		c.BurstPerIP = 1000
	}
	if c.MaxSwarms == 0 {
		c.MaxSwarms = 1_000_000
	}
	if c.MaxHTTPConns == 0 {
		c.MaxHTTPConns = 4096
	}
	if c.MaxHTTPConnsPerIP == 0 {
		c.MaxHTTPConnsPerIP = min(c.MaxHTTPConns, max(4, c.MaxHTTPConns/64))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.Interval < time.Second || c.MinInterval < 0 || c.PeerTTL < time.Second:
		return c, fmt.Errorf("%w: interval %v, min interval %v, peer TTL %v: want at least a second", ErrConfig, c.Interval, c.MinInterval, c.PeerTTL)
	case c.MinInterval > c.Interval:
		return c, fmt.Errorf("%w: min interval %v is longer than interval %v", ErrConfig, c.MinInterval, c.Interval)
	case c.PeerTTL < c.Interval:
		return c, fmt.Errorf("%w: peer TTL %v is shorter than interval %v: peers would vanish between announces", ErrConfig, c.PeerTTL, c.Interval)
	case c.DefaultNumWant < 0 || c.MaxNumWant < 0 || c.RatePerIP < 0 || c.BurstPerIP < 0 || c.MaxSwarms < 0 || c.MaxHTTPConns < 0 || c.MaxHTTPConnsPerIP < 0:
		return c, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	if c.MaxHTTPConnsPerIP > c.MaxHTTPConns {
		return c, fmt.Errorf("%w: %d HTTP connections per IP is more than the %d in all", ErrConfig, c.MaxHTTPConnsPerIP, c.MaxHTTPConns)
	}
	c.DefaultNumWant = min(c.DefaultNumWant, c.MaxNumWant)
	if c.Interval > time.Duration(1<<31-1)*time.Second {
		return c, fmt.Errorf("%w: interval %v too long", ErrConfig, c.Interval)
	}
	return c, nil
}

// LogValue makes log.Info("Tracker started", "config", cfg) print one group.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http", c.HTTPAddr), slog.String("udp", c.UDPAddr),
		slog.Duration("interval", c.Interval), slog.Duration("minInterval", c.MinInterval),
		slog.Duration("peerTTL", c.PeerTTL), slog.Int("maxNumWant", c.MaxNumWant),
		slog.String("allowFile", c.AllowFile), slog.String("torrentsDir", c.TorrentsDir),
		slog.String("passkeysFile", c.PasskeysFile), slog.String("stateFile", c.StateFile),
		slog.Float64("ratePerIP", c.RatePerIP), slog.Bool("noRateLimit", c.NoRateLimit),
		slog.Int("maxHTTPConns", c.MaxHTTPConns), slog.Int("maxHTTPConnsPerIP", c.MaxHTTPConnsPerIP),
	)
}
