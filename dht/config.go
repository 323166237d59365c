package dht

import (
	"log/slog"
	"net"
	"time"
)

// PublicBootstrap lists the well-known public routers. Only the CLI uses it,
// when the user named no bootstrap node; tests never do.
var PublicBootstrap = []string{
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"router.utorrent.com:6881",
	"dht.libtorrent.org:25401",
}

// Config describes a Node. Zero values mean the defaults given per field.
type Config struct {
	// Conn, if set, is the socket the node reads and writes, e.g. one end of
	// the engine's demultiplexed UDP peer port, so that implied-port
	// announces (BEP 5) carry the peer port. The node owns it and closes it
	// on exit. Nil means the node listens on ListenAddr.
	Conn net.PacketConn
	// ListenAddr is used when Conn is nil; "" means ":6881". Tests pass
	// "127.0.0.1:0".
	ListenAddr string
	// Bootstrap lists host:port nodes consulted when the routing table is
	// empty. Empty means no bootstrap at all: the node only knows the nodes
	// loaded from StateFile and those that contact it.
	Bootstrap []string
	// StateFile is where the node id and routing table are kept: loaded in
	// New, written atomically every SaveEvery and when Run returns. ""
	// means no persistence.
	StateFile string
	// StateReadOnly loads the contacts from StateFile but never writes it
	// and never takes its node id, so a one-shot lookup can reuse a running
	// node's table without fighting over the file or cloning its id.
	StateReadOnly bool
	// ReadOnly makes a node that only asks (BEP 43): it answers no queries
	// and tells others not to add it to their routing tables. For one-shot
	// lookups, which would otherwise leave a dead contact in every table
	// they touched.
	ReadOnly bool
	// NodeID fixes the node id. Zero means the id from StateFile, else a
	// fresh random one (made BEP 42 secure when the listen IP is public).
	NodeID [20]byte

	// MaxPeersPerHash caps the peers stored per infohash; 0 means 500.
	MaxPeersPerHash int
	// MaxHashes caps the infohashes stored; 0 means 5000.
	MaxHashes int
	// MaxPeers caps the peers stored over all infohashes; 0 means 100000.
	MaxPeers int
	// PeerTTL is how long an announced peer is kept without re-announcing;
	// 0 means 30 minutes (clients re-announce every 15 to 30 minutes).
	PeerTTL time.Duration
	// AnnouncesPerIPPerMinute limits announce_peer from one source IP (an
	// IPv6 /64 counts as one); 0 means 60. Bursts of the same size pass.
	AnnouncesPerIPPerMinute int

	// QueryTimeout is how long a query waits for its reply; 0 means 2s.
	QueryTimeout time.Duration
	// SaveEvery is the period of state saves; 0 means one minute.
	SaveEvery time.Duration

	Logger *slog.Logger // nil means slog.Default()
}

const (
	defaultListenAddr        = ":6881"
	defaultMaxPeersPerHash   = 500
	defaultMaxHashes         = 5000
	defaultMaxPeers          = 100_000
	defaultPeerTTL           = 30 * time.Minute
	defaultAnnouncesPerIPMin = 60
	defaultQueryTimeout      = 2 * time.Second
	defaultSaveEvery         = time.Minute
)

func (c Config) withDefaults() Config {
	if c.ListenAddr == "" {
		c.ListenAddr = defaultListenAddr
	}
	if c.MaxPeersPerHash <= 0 {
		c.MaxPeersPerHash = defaultMaxPeersPerHash
	}
	if c.MaxHashes <= 0 {
		c.MaxHashes = defaultMaxHashes
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = defaultMaxPeers
	}
	if c.PeerTTL <= 0 {
		c.PeerTTL = defaultPeerTTL
	}
	if c.AnnouncesPerIPPerMinute <= 0 {
		c.AnnouncesPerIPPerMinute = defaultAnnouncesPerIPMin
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = defaultQueryTimeout
	}
	if c.SaveEvery <= 0 {
		c.SaveEvery = defaultSaveEvery
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// LogValue makes log.Info("DHT node started", "config", cfg) print one group.
func (c Config) LogValue() slog.Value {
	listen := c.ListenAddr
	if c.Conn != nil {
		listen = c.Conn.LocalAddr().String()
	}
	return slog.GroupValue(
		slog.String("listen", listen),
		slog.Any("bootstrap", c.Bootstrap),
		slog.String("stateFile", c.StateFile),
		slog.Int("maxPeersPerHash", c.MaxPeersPerHash),
		slog.Int("maxHashes", c.MaxHashes),
		slog.Int("maxPeers", c.MaxPeers),
		slog.Duration("peerTTL", c.PeerTTL),
		slog.Int("announcesPerIPPerMinute", c.AnnouncesPerIPPerMinute),
	)
}
