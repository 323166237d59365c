package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/daemon/webui"
)

// daemonFileConfig is the [daemon] table of the config file.
type daemonFileConfig struct {
	DownloadDir string   `toml:"download_dir"`
	AllowedDirs []string `toml:"allowed_dirs"` // what HTTP clients may name; default download_dir
	RPC         string   `toml:"rpc"`          // HOST:PORT, as --rpc
	Stream      string   `toml:"stream"`       // HOST:PORT, as --stream
	RPCUser     string   `toml:"rpc_user"`
	// RPCPasswordHash is bcrypt, from 'shoal daemon --hash-password'.
	RPCPasswordHash string   `toml:"rpc_password_hash"`
	RPCToken        string   `toml:"rpc_token"`
	RPCHosts        []string `toml:"rpc_hosts"`
	// TransmissionWeb is a folder with Transmission's web UI (Debian:
	// /usr/share/transmission/web), served at /transmission/web/.
	TransmissionWeb string `toml:"transmission_web"`
	// WatchDir is a folder whose .torrent and .magnet files are added
	// (and renamed .added, or .invalid).
	WatchDir string `toml:"watch_dir"`
	// Blocklist is a file of IP ranges (CIDR, FIRST-LAST or P2P
	// plaintext) whose peers are never dialled or accepted; reloaded
	// when it changes.
	Blocklist string `toml:"blocklist"`
	// Seeding goals, for every torrent that sets none of its own: a ratio
	// (uploaded over downloaded, or over the size for a torrent seeded
	// from disk), a seeding time ("72h"), and what happens at the goal:
	// "stop" (pause; the default) or "remove" (data kept).
	// CompleteDir is where finished downloads are moved (a rename: the
	// same file system as the download folder).
	CompleteDir    string  `toml:"complete_dir"`
	SeedRatio      float64 `toml:"seed_ratio"`
	SeedTime       string  `toml:"seed_time"`
	SeedGoalAction string  `toml:"seed_goal_action"`
}

// goals reads the seeding goals of the config.
func (fc daemonFileConfig) goals() (daemon.Goals, error) {
	g := daemon.Goals{SeedRatio: fc.SeedRatio}
	if fc.SeedRatio < 0 {
		return g, usageErrorf("seed_ratio under [daemon] is %v: give a ratio above 0, or leave it out for none", fc.SeedRatio)
	}
	if fc.SeedTime != "" {
		d, err := time.ParseDuration(fc.SeedTime)
		if err != nil || d <= 0 {
			return g, usageErrorf("seed_time under [daemon] is %q: give a duration such as \"72h\" or \"90m\"", fc.SeedTime)
		}
		g.SeedTime = d
	}
	switch fc.SeedGoalAction {
	case "", "stop":
	case "remove":
		g.Remove = true
	default:
		return g, usageErrorf("seed_goal_action under [daemon] is %q: want \"stop\" or \"remove\"", fc.SeedGoalAction)
	}
	return g, nil
}

// hashPassword reads a password (one line of stdin) and prints its bcrypt
// hash for rpc_password_hash.
func hashPassword(a *app, in *bufio.Reader) error {
	line, err := in.ReadString('\n')
	pass := strings.TrimRight(line, "\r\n")
	if pass == "" {
		return usageErrorf("--hash-password reads the password from stdin: got nothing (%v)", err)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
	if err != nil {
		return usageErrorf("--hash-password: %w", err)
	}
	fmt.Fprintln(a.stdout, string(h))
	return nil
}

// rpcListener binds --rpc and builds its handler: the control API for
// remote clients, Transmission's RPC, /metrics and shoal's web UI at /, behind
// daemon.Guard.
func rpcListener(a *app, d *daemon.Daemon, addr string, fc daemonFileConfig) (net.Listener, http.Handler, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, listenError(fmt.Errorf("--rpc: %w", err))
	}
	ap, err := netip.ParseAddrPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", d.Handler(daemon.Remote))
	th, err := transmission.New(transmission.Config{Backend: d.TransmissionBackend(), WebDir: fc.TransmissionWeb, Logger: a.log})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	th.Register(mux)
	mux.Handle("GET /metrics", d.MetricsHandler())
	mux.Handle("/", webui.Handler())
	auth := daemon.HTTPAuth{User: fc.RPCUser, PasswordHash: fc.RPCPasswordHash, Token: fc.RPCToken, Hosts: fc.RPCHosts}
	h, err := daemon.Guard(mux, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), auth)
	if err != nil {
		ln.Close()
		return nil, nil, usageErrorf("--rpc %s: %w", addr, err)
	}
	return ln, h, nil
}
