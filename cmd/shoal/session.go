package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/swarm"
)

// sessionFlags are the flags of every command that runs the engine.
type sessionFlags struct {
	listen        string
	stateDir      string
	noTUI         bool
	json          bool
	progressEvery time.Duration
	downLimit     string
	upLimit       string
	encryption    string
	lan           bool
	lanIface      string
	maxPeers      int
	buffered      bool
	dht           *dhtFlags
	dhtState      string // names the routing-table file of this kind of command

	cmd  *cobra.Command
	file fileConfig
	// dhtConfig is filled by config(); nil under --no-dht.
	dhtConfig *dht.Config
}

func (f *sessionFlags) add(cmd *cobra.Command, dhtState string) {
	f.cmd, f.dhtState = cmd, dhtState
	fs := cmd.Flags()
	f.dht = addDHTFlags(fs)
	fs.StringVar(&f.listen, "listen", ":6881", "address for peer connections; the next free port is used if it is taken")
	fs.StringVar(&f.stateDir, "state-dir", "", "where resume state lives (default: $XDG_DATA_HOME/shoal)")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print progress lines instead of opening the terminal UI")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per line for each event and progress tick, then a summary")
	fs.DurationVar(&f.progressEvery, "progress-every", 10*time.Second, "how often to print a progress line without the UI")
	fs.StringVar(&f.downLimit, "down-limit", "", "download rate limit such as 10MiB (per second; default unlimited)")
	fs.StringVar(&f.upLimit, "up-limit", "", "upload rate limit such as 10MiB (per second; default unlimited)")
	fs.StringVar(&f.encryption, "encryption", "allow", "peer encryption (MSE): allow, prefer, require or off")
	fs.BoolVar(&f.lan, "lan", false, "find peers on the local network by multicast (BEP 14 local service discovery)")
	fs.StringVar(&f.lanIface, "lan-iface", "", "network interface for --lan (default: the system's multicast route)")
	fs.IntVar(&f.maxPeers, "max-peers", 0, "connected peers per torrent (default 80)")
	fs.BoolVar(&f.buffered, "buffered-writes", false, "write downloaded pieces through the page cache (default: pieces hashed on arrival skip it with O_DIRECT where the file system allows)")
}

func defaultStateDir() string { return filepath.Join(xdg.DataHome, "shoal") }

func (f *sessionFlags) config(a *app) (swarm.Config, error) {
	var err error
	f.file = a.file
	fl := f.cmd.Flags()
	if !fl.Changed("listen") && f.file.Listen != "" {
		f.listen = f.file.Listen
	}
	if f.stateDir == "" {
		f.stateDir = f.file.StateDir
	}
	if !fl.Changed("encryption") && f.file.Encryption != "" {
		f.encryption = f.file.Encryption
	}
	cfg := swarm.Config{ListenAddr: f.listen, StateDir: f.stateDir, Logger: a.log, LSD: f.lan, LSDInterface: f.lanIface,
		MaxPeersPerTorrent: f.maxPeers, BufferedWrites: f.buffered || f.file.BufferedWrites}
	if cfg.StateDir == "" {
		cfg.StateDir = defaultStateDir()
	}
	dcfg, enabled, err := f.dht.Config(f.file.DHTBootstrap, f.dhtState)
	if err != nil {
		return cfg, err
	}
	if enabled {
		dcfg.Logger = a.log
		f.dhtConfig = &dcfg
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return cfg, usageErrorf("--state-dir: %w", err)
	}
	if f.downLimit != "" {
		if cfg.DownLimitBps, err = parseSize("--down-limit", f.downLimit); err != nil {
			return cfg, err
		}
	}
	if f.upLimit != "" {
		if cfg.UpLimitBps, err = parseSize("--up-limit", f.upLimit); err != nil {
			return cfg, err
		}
	}
	switch f.encryption {
	case "allow":
		cfg.Encryption = swarm.EncryptionAllow
	case "prefer":
		cfg.Encryption = swarm.EncryptionPrefer
	case "require":
		cfg.Encryption = swarm.EncryptionRequire
	case "off":
		cfg.Encryption = swarm.EncryptionOff
	default:
		return cfg, usageErrorf("--encryption %q: want allow, prefer, require or off", f.encryption)
	}
	return cfg, nil
}

// runSession runs a Session until work says it is done or the user stops
// it. work runs alongside the engine; when it returns, the engine shuts down
// (announcing stopped and flushing resume state) before runSession returns.
func runSession(a *app, f *sessionFlags, cfg swarm.Config, work func(ctx context.Context, s *swarm.Session) error) error {
	var d *sessionDHT
	if f.dhtConfig != nil {
		d = &sessionDHT{}
		cfg.DHT = d
	}
	s, err := swarm.New(cfg)
	if err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(a.ctx))
	defer stopEngine()
	var g errgroup.Group
	if d != nil {
		if err := d.start(engineCtx, *f.dhtConfig, s.Addr(), g.Go); err != nil {
			a.log.Warn("DHT not started", "err", err)
		}
	}
	g.Go(func() error { return s.Run(engineCtx) })
	workErr := work(a.ctx, s)
	stopEngine()
	runErr := g.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) && workErr == nil {
		return runErr
	}
	return workErr
}
