package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/tracker"
)

func init() { register(newTrackerCmd) }

func newTrackerCmd(a *app) *cobra.Command {
	var (
		cfg       tracker.Config
		state     string
		rate      float64
		dhtListen string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "tracker",
		Short: "Run a private BitTorrent tracker for a LAN (HTTP and UDP, with a status page)",
		Long: `Tracker serves BitTorrent announces over HTTP (/announce, /scrape) and UDP
(BEP 15) until interrupted, and shows its swarms at / and Prometheus metrics
at /metrics on the HTTP address.

By default it tracks any torrent. --allow (a file of hex infohashes, one per
line, optionally followed by a name) and --torrents (a folder of .torrent
files) restrict it to those torrents; --passkeys (one key per line) makes
peers announce to /announce/<key> and the status page needs ?passkey=<key>
(except from the tracker's own host). The files are re-read when they change.
Completed counts are kept in --state across restarts.

So that no client can lock the others out, each client address (an IPv6
/64 counts as one) gets --rate requests per second after a --burst, and at
most --http-conns-per-ip of the --http-conns HTTP connections; a connection
must send its request within 3 s.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Logger = a.log
			cfg.StateFile = state
			if !cmd.Flags().Changed("state") {
				cfg.StateFile = filepath.Join(xdg.DataHome, "shoal", "tracker-state.txt")
			}
			switch {
			case rate < 0:
				return usageErrorf("--rate %v: want a number of requests per second, or 0 for no limit", rate)
			case rate == 0:
				cfg.NoRateLimit = true
			default:
				cfg.RatePerIP = rate
			}
			s, err := tracker.New(cfg)
			if err != nil {
				return trackerError(err)
			}
			// A LAN with no internet needs a DHT node to bootstrap from as
			// much as a tracker; the tracker's host is the natural place.
			var node *dht.Node
			if dhtListen != "" {
				node, err = dht.New(dht.Config{ListenAddr: dhtListen, Logger: a.log,
					StateFile: defaultDHTStateFile("dht-tracker")})
				if err != nil {
					return dhtError("--dht-listen", err)
				}
			}
			started := time.Now()
			if asJSON {
				a.emitJSON(trackerStartJSON(s, node))
			} else {
				printTrackerURLs(a.stdout, s, node)
			}
			g, ctx := errgroup.WithContext(a.ctx)
			g.Go(func() error { return s.Run(ctx) })
			if node != nil {
				g.Go(func() error { return node.Run(ctx) })
			}
			err = g.Wait()
			printTrackerSummary(a, s, time.Since(started), asJSON, err)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.HTTPAddr, "http", ":6969", `HTTP listen address for announces, scrapes and the status page ("off" to disable)`)
	fs.StringVar(&cfg.UDPAddr, "udp", ":6969", `UDP listen address for BEP 15 announces ("off" to disable)`)
	fs.StringVar(&cfg.AllowFile, "allow", "", "track only the infohashes listed in this file")
	fs.StringVar(&cfg.TorrentsDir, "torrents", "", "track only the torrents whose .torrent files are in this folder")
	fs.StringVar(&cfg.PasskeysFile, "passkeys", "", "require a passkey from this file: peers announce to /announce/<key>")
	fs.DurationVar(&cfg.Interval, "interval", 2*time.Minute, "how often peers are told to announce")
	fs.DurationVar(&cfg.MinInterval, "min-interval", 30*time.Second, "announces sooner than this get the previous answer")
	fs.DurationVar(&cfg.PeerTTL, "peer-ttl", 0, "drop peers silent this long (default twice --interval)")
	fs.IntVar(&cfg.DefaultNumWant, "numwant", 50, "peers returned when a peer does not say how many it wants")
	fs.IntVar(&cfg.MaxNumWant, "max-numwant", 200, "most peers returned in one answer")
	fs.Float64Var(&rate, "rate", 50, "requests per second each IP may sustain (0: no limit)")
	fs.IntVar(&cfg.BurstPerIP, "burst", 1000, "requests an IP may send at once before --rate applies")
	fs.IntVar(&cfg.MaxSwarms, "max-torrents", 1_000_000, "most torrents tracked at once")
	fs.IntVar(&cfg.MaxHTTPConns, "http-conns", 4096, "most HTTP connections open at once")
	fs.IntVar(&cfg.MaxHTTPConnsPerIP, "http-conns-per-ip", 0, "most HTTP connections from one IP or IPv6 /64 (default --http-conns/64, at least 4)")
	fs.StringVar(&dhtListen, "dht-listen", "", `also run a DHT bootstrap node on this UDP address (--dht uses ":6881")`)
	var withDHT bool
	fs.BoolVar(&withDHT, "dht", false, "also run a DHT bootstrap node (on --dht-listen, default :6881) for magnet links on the LAN")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if withDHT && dhtListen == "" {
			dhtListen = ":6881"
		}
		return nil
	}
	fs.BoolVar(&asJSON, "json", false, "print the addresses and limits at the start and the counts at the end as JSON lines")
	fs.StringVar(&state, "state", "", `file for completed counts across restarts (default: $XDG_DATA_HOME/shoal/tracker-state.txt; "" to keep them in memory)`)
	return cmd
}

// trackerError maps tracker.New's errors to exit codes.
func trackerError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return withCode(exitNotFound, err)
	case errors.Is(err, tracker.ErrConfig), errors.Is(err, tracker.ErrSyntax):
		return usageErrorf("%w", err)
	}
	return err
}

// printTrackerURLs prints the URLs peers and people can use.
func printTrackerURLs(w io.Writer, s *tracker.Server, node *dht.Node) {
	announce, status := trackerURLs(s)
	for _, u := range announce {
		fmt.Fprintf(w, "Tracker announce URL: %s\n", u)
	}
	if status != "" {
		fmt.Fprintf(w, "Tracker status page: %s\n", status)
	}
	if node != nil {
		fmt.Fprintf(w, "DHT bootstrap node: %s (clients: --dht-bootstrap HOST:%d)\n", node.Addr(), node.Addr().Port())
	}
	fmt.Fprintf(w, "Tracker listening (http %s, udp %s); press Ctrl-C to stop.\n", orOff(s.HTTPAddr()), orOff(s.UDPAddr()))
}

// trackerURLs returns the announce URLs (one set per interface address when
// the tracker listens on all of them) and the status page's URL ("" when
// HTTP is off).
func trackerURLs(s *tracker.Server) (announce []string, status string) {
	announce = []string{}
	for _, host := range reachableHosts(s.HTTPAddr(), s.UDPAddr()) {
		if ap := s.HTTPAddr(); ap.IsValid() {
			announce = append(announce, fmt.Sprintf("http://%s/announce", netip.AddrPortFrom(host, ap.Port())))
		}
		if ap := s.UDPAddr(); ap.IsValid() {
			announce = append(announce, fmt.Sprintf("udp://%s/announce", netip.AddrPortFrom(host, ap.Port())))
		}
	}
	if ap := s.HTTPAddr(); ap.IsValid() {
		host := ap.Addr()
		if host.IsUnspecified() {
			if hs := reachableHosts(ap); len(hs) > 0 {
				host = hs[0]
			}
		}
		status = fmt.Sprintf("http://%s/", netip.AddrPortFrom(host, ap.Port()))
	}
	return announce, status
}

func orOff(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return tracker.Off
	}
	return ap.String()
}

// reachableHosts is the bound address if it is a specific one, else every
// up interface's address (loopback last, link-local IPv6 left out: such URLs
// need a zone).
func reachableHosts(aps ...netip.AddrPort) []netip.Addr {
	var hosts []netip.Addr
	for _, ap := range aps {
		if ap.IsValid() && !ap.Addr().IsUnspecified() {
			return []netip.Addr{ap.Addr().Unmap()}
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	}
	var loop []netip.Addr
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		switch {
		case !ok || ip.IsLinkLocalUnicast():
		case ip.IsLoopback():
			loop = append(loop, ip.Unmap())
		default:
			hosts = append(hosts, ip.Unmap())
		}
	}
	return append(hosts, loop...)
}
