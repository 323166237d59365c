package main

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/pieces"
)

func init() { register(newDHTCmd) }

// envDHTBootstrap lists bootstrap nodes, comma-separated, for every command.
const envDHTBootstrap = "SHOAL_DHT_BOOTSTRAP"

// noBootstrap as the only bootstrap value means "none": the node waits to
// be contacted (the first node of a LAN DHT).
const noBootstrap = "none"

// defaultDHTStateFile is where a command's routing table lives. Each kind
// of command gets its own file because a file also carries a node id, and
// two nodes must not share one.
func defaultDHTStateFile(name string) string {
	return filepath.Join(xdg.StateHome, "shoal", name+".dat")
}

// dhtFlags are the DHT flags of the commands that run the engine.
type dhtFlags struct {
	fs        *pflag.FlagSet
	bootstrap []string
	noDHT     bool
}

// addDHTFlags adds --dht-bootstrap and --no-dht to fs.
func addDHTFlags(fs *pflag.FlagSet) *dhtFlags {
	f := &dhtFlags{fs: fs}
	fs.StringArrayVar(&f.bootstrap, "dht-bootstrap", nil,
		"DHT bootstrap node HOST:PORT (repeatable; default $"+envDHTBootstrap+", then the config file, then the public routers; \""+noBootstrap+"\" for none)")
	fs.BoolVar(&f.noDHT, "no-dht", false, "do not use the DHT (private torrents never do)")
	return f
}

// Config returns the DHT configuration for a command, or enabled == false
// under --no-dht. fromConfig is the config file's bootstrap list (nil if it
// has none); stateName names the state file (e.g. "dht-client"). The caller
// still sets Conn (the shared peer port) and Logger.
func (f *dhtFlags) Config(fromConfig []string, stateName string) (cfg dht.Config, enabled bool, err error) {
	if f.noDHT {
		return dht.Config{}, false, nil
	}
	var flagVals []string
	if f.fs.Changed("dht-bootstrap") {
		flagVals = f.bootstrap
	}
	boot, err := bootstrapNodes("--dht-bootstrap", flagVals, fromConfig, dht.PublicBootstrap)
	if err != nil {
		return dht.Config{}, false, err
	}
	return dht.Config{Bootstrap: boot, StateFile: defaultDHTStateFile(stateName)}, true, nil
}

// bootstrapNodes picks the first list given: the flag's, $SHOAL_DHT_BOOTSTRAP,
// the config file's, then fallback. It checks every entry and maps "none" to
// an empty list.
func bootstrapNodes(flag string, flagVals, fromConfig, fallback []string) ([]string, error) {
	list, from := flagVals, flag
	if len(list) == 0 {
		if env := os.Getenv(envDHTBootstrap); strings.TrimSpace(env) != "" {
			list, from = strings.Split(env, ","), "$"+envDHTBootstrap
		}
	}
	if len(list) == 0 {
		list, from = fromConfig, "config file dht bootstrap"
	}
	if len(list) == 0 {
		return append([]string(nil), fallback...), nil
	}
	var out []string
	for _, hp := range list {
		hp = strings.TrimSpace(hp)
		if hp == noBootstrap && len(list) == 1 {
			return nil, nil
		}
		host, port, err := net.SplitHostPort(hp)
		if p, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || p == 0 || host == "" {
			return nil, usageErrorf("%s %q: want HOST:PORT, or %q", from, hp, noBootstrap)
		}
		out = append(out, hp)
	}
	return out, nil
}

func newDHTCmd(a *app) *cobra.Command {
	var (
		listen    string
		bootstrap []string
		state     string
		limits    dht.Config
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "dht",
		Short: "Run a standalone DHT node, e.g. the bootstrap node of a LAN",
		Long: `Dht runs a DHT node (BEP 5) until interrupted: it answers queries, stores
the peers that announce to it and keeps its routing table in --state, so a
restart rejoins without bootstrapping. Point other nodes at it with
--dht-bootstrap HOST:PORT.

With no --bootstrap (and no $` + envDHTBootstrap + `) it bootstraps from nobody and
waits to be contacted: the first node of a DHT on a LAN with no internet.
Give --bootstrap router.bittorrent.com:6881 to join the public DHT.`,
		Args: dhtNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var flagVals []string
			if cmd.Flags().Changed("bootstrap") {
				flagVals = bootstrap
			}
			boot, err := bootstrapNodes("--bootstrap", flagVals, nil, nil)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("state") {
				state = defaultDHTStateFile("dht")
			}
			if limits.AnnouncesPerIPPerMinute < 0 || limits.MaxHashes < 0 || limits.PeerTTL < 0 {
				return usageErrorf("--announces-per-ip, --max-torrents and --peer-ttl must not be negative")
			}
			cfg := limits
			cfg.ListenAddr, cfg.Bootstrap, cfg.StateFile, cfg.Logger = listen, boot, state, a.log
			n, err := dht.New(cfg)
			if err != nil {
				return dhtError("--listen", err)
			}
			id := n.ID()
			if asJSON {
				a.emitJSON(jsonDHTStart{Type: "listening", Addr: n.Addr().String(), ID: hex.EncodeToString(id[:]), State: state})
			} else {
				fmt.Fprintf(a.stdout, "DHT node listening on %s (id %x); press Ctrl-C to stop.\n", n.Addr(), id)
				if state != "" {
					fmt.Fprintf(a.stdout, "Routing table: %s\n", state)
				}
			}
			err = n.Run(a.ctx)
			st := n.Stats()
			if asJSON {
				a.emitJSON(jsonDHTStop{Type: "stopped", Nodes: st.Nodes, PeersStored: st.PeersStored, Torrents: st.Hashes})
			} else {
				fmt.Fprintf(a.stdout, "Stopped: %d nodes known, %d peers stored for %d torrents.\n", st.Nodes, st.PeersStored, st.Hashes)
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", ":6881", "UDP address to listen on")
	fs.StringArrayVar(&bootstrap, "bootstrap", nil, "node to bootstrap from, HOST:PORT (repeatable; default $"+envDHTBootstrap+", else none)")
	fs.StringVar(&state, "state", "", `routing table file (default: $XDG_STATE_HOME/shoal/dht.dat; "" to keep none)`)
	fs.IntVar(&limits.AnnouncesPerIPPerMinute, "announces-per-ip", 0, "announces stored per source IP per minute (default 60; raise it for a small LAN DHT where one seedbox announces many torrents)")
	fs.IntVar(&limits.MaxHashes, "max-torrents", 0, "most torrents to store peers for (default 5000)")
	fs.DurationVar(&limits.PeerTTL, "peer-ttl", 0, "forget peers that have not re-announced for this long (default 30m)")
	fs.BoolVar(&asJSON, "json", false, "print the start and the final counts as JSON lines")
	cmd.AddCommand(newDHTLookupCmd(a))
	return cmd
}

func newDHTLookupCmd(a *app) *cobra.Command {
	var (
		listen    string
		bootstrap []string
		state     string
		timeout   time.Duration
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "lookup INFOHASH|MAGNET",
		Short: "Find the peers of a torrent on the DHT",
		Long: `Lookup walks the DHT towards an infohash (40 hex digits, 32 base32
characters or a magnet link) and prints the peers it found, how many nodes
it contacted and how long it took. It starts from the contacts in --state
(read only; by default the 'shoal dht' node's table), else from the
bootstrap nodes. It exits 3 if no peer was found.`,
		Args: exactArgs("INFOHASH|MAGNET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ih, err := parseInfoHashArg(args[0])
			if err != nil {
				return err
			}
			if timeout <= 0 {
				return usageErrorf("--timeout %v: want a positive duration", timeout)
			}
			var flagVals []string
			if cmd.Flags().Changed("bootstrap") {
				flagVals = bootstrap
			}
			boot, err := bootstrapNodes("--bootstrap", flagVals, nil, dht.PublicBootstrap)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("state") && !cmd.Flags().Changed("bootstrap") {
				// The nodes the user named come first: a saved table would
				// otherwise be walked instead of them.
				state = defaultDHTStateFile("dht")
			}
			n, err := dht.New(dht.Config{
				ListenAddr: listen, Bootstrap: boot, StateFile: state, StateReadOnly: true, ReadOnly: true, Logger: a.log,
			})
			if err != nil {
				return dhtError("--listen", err)
			}
			defer n.Close()
			ctx, cancel := context.WithTimeout(a.ctx, timeout)
			defer cancel()
			peers, st, err := n.GetPeers(ctx, ih)
			timedOut := errors.Is(err, context.DeadlineExceeded) && a.ctx.Err() == nil
			switch {
			case errors.Is(err, dht.ErrNoNodes):
				return fmt.Errorf("%w: give --bootstrap HOST:PORT", err)
			case err != nil && !timedOut:
				return err
			}
			if asJSON {
				out := jsonLookup{Type: "lookup", InfoHash: hex.EncodeToString(ih[:]), Peers: []string{},
					NodesContacted: st.NodesContacted, NodesResponded: st.NodesResponded,
					Seconds: st.Duration.Seconds(), FirstPeerSeconds: st.FirstPeer.Seconds(), TimedOut: timedOut}
				for _, p := range peers {
					out.Peers = append(out.Peers, p.String())
				}
				a.emitJSON(out)
			} else {
				printLookup(a, peers, st, timedOut)
			}
			if len(peers) == 0 {
				return withCode(exitNotFound, fmt.Errorf("no peers found for %x", ih))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	fs.StringVar(&listen, "listen", ":0", "UDP address to send from")
	fs.StringArrayVar(&bootstrap, "bootstrap", nil, "node to start from, HOST:PORT (repeatable; default $"+envDHTBootstrap+", else the public routers); "+
		"when given, the saved routing table is not read unless --state names it")
	fs.StringVar(&state, "state", "", `routing table to start from, read only (default: $XDG_STATE_HOME/shoal/dht.dat unless --bootstrap is given; "" for none)`)
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

func printLookup(a *app, peers []netip.AddrPort, st dht.LookupStats, timedOut bool) {
	fmt.Fprintf(a.stdout, "Peers found: %d\n", len(peers))
	for _, p := range peers {
		fmt.Fprintf(a.stdout, "  %s\n", p)
	}
	fmt.Fprintf(a.stdout, "Nodes contacted: %d (%d responded)\n", st.NodesContacted, st.NodesResponded)
	fmt.Fprintf(a.stdout, "Time: %v", st.Duration.Round(time.Millisecond))
	if len(peers) > 0 {
		fmt.Fprintf(a.stdout, " (first peer after %v)", st.FirstPeer.Round(time.Millisecond))
	}
	if timedOut {
		fmt.Fprintf(a.stdout, " (stopped by --timeout)")
	}
	fmt.Fprintln(a.stdout)
}

// The JSON lines of dht and dht lookup (docs/json.md).
type (
	jsonDHTStart struct {
		Type  string `json:"type"` // "listening"
		Addr  string `json:"addr"`
		ID    string `json:"id"`
		State string `json:"state"` // routing table file, "" for none
	}
	jsonDHTStop struct {
		Type        string `json:"type"` // "stopped"
		Nodes       int    `json:"nodes"`
		PeersStored int    `json:"peersStored"`
		Torrents    int    `json:"torrents"`
	}
	jsonLookup struct {
		Type             string   `json:"type"` // "lookup"
		InfoHash         string   `json:"infohash"`
		Peers            []string `json:"peers"`
		NodesContacted   int      `json:"nodesContacted"`
		NodesResponded   int      `json:"nodesResponded"`
		Seconds          float64  `json:"seconds"`
		FirstPeerSeconds float64  `json:"firstPeerSeconds"` // 0 when none was found
		TimedOut         bool     `json:"timedOut"`
	}
)

// dhtNoArgs is cobra.NoArgs with the usage exit code.
func dhtNoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// parseInfoHashArg reads a v1 infohash as hex, base32 or a magnet link.
func parseInfoHashArg(s string) ([20]byte, error) {
	var ih [20]byte
	if isMagnet(s) {
		m, err := pieces.ParseMagnet(s)
		if err != nil {
			return ih, usageErrorf("%w", err) // it says "bad magnet link: ..."
		}
		return m.InfoHash, nil
	}
	var b []byte
	var err error
	switch len(s) {
	case 40:
		b, err = hex.DecodeString(s)
	case 32:
		b, err = base32.StdEncoding.DecodeString(strings.ToUpper(s))
	default:
		err = errors.New("wrong length")
	}
	if err != nil || len(b) != len(ih) {
		return ih, usageErrorf("infohash %q: want 40 hex digits, 32 base32 characters or a magnet link", s)
	}
	copy(ih[:], b)
	return ih, nil
}

// dhtError maps dht.New's errors: a bad listen address is the user's to fix.
func dhtError(flag string, err error) error {
	var opErr *net.OpError
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) || (errors.As(err, &opErr) && opErr.Op == "listen" && !errors.Is(err, os.ErrPermission)) {
		return usageErrorf("%s: %w", flag, err)
	}
	return err
}
