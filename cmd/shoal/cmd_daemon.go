package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/daemon/webui"
	"github.com/shoal-bt/shoal/stream"
	"github.com/shoal-bt/shoal/swarm"
)

func init() { register(newDaemonCmd) }

// daemonFlags are the daemon's own flags, beside the engine's.
type daemonFlags struct {
	socket       string
	downloadDir  string
	rpc          string
	stream       string
	hashPassword bool
}

func newDaemonCmd(a *app) *cobra.Command {
	var (
		sf sessionFlags
		df daemonFlags
	)
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run every torrent of the library in the foreground, driven by shoal add, ls, ui ...",
		Long: `Daemon restores every torrent you added before (no re-hash), seeds and
downloads them all in one process, and serves the commands add, ls, show,
pause, resume, verify, rm, set and ui on a Unix socket
($XDG_RUNTIME_DIR/shoal/daemon.sock, mode 0600). It runs until SIGTERM or
Ctrl-C; run it under systemd, tmux or nohup. One daemon per state dir: a
second one refuses to start and names the PID of the first.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if df.hashPassword {
				return hashPassword(a, bufio.NewReader(cmd.InOrStdin()))
			}
			cfg, err := sf.config(a)
			if err != nil {
				return err
			}
			return runDaemon(a, &sf, &df, cfg)
		},
	}
	sf.add(cmd, "dht-daemon")
	fs := cmd.Flags()
	for _, f := range []string{"no-tui", "json", "progress-every"} {
		fs.MarkHidden(f) // the engine's flags that mean nothing to a daemon
	}
	fs.StringVar(&df.socket, "socket", "", "control socket (default: $SHOAL_SOCKET, else $XDG_RUNTIME_DIR/shoal/daemon.sock, else in the state dir)")
	fs.StringVar(&df.downloadDir, "download-dir", "", "where torrents added without -o download (default: download_dir under [daemon] in the config, else ~/Downloads)")
	fs.StringVar(&df.rpc, "rpc", "", "also serve HTTP control (the same API, and Transmission's RPC at /transmission/rpc) on HOST:PORT; "+
		"an address other than loopback needs credentials in the config")
	fs.StringVar(&df.stream, "stream", "", "serve every torrent's files over HTTP on HOST:PORT for players, as 'shoal stream' does "+
		"(default: stream under [daemon] in the config, else 127.0.0.1 and a free port; off: none)")
	fs.BoolVar(&df.hashPassword, "hash-password", false, "read a password on stdin, print its bcrypt hash for rpc_password_hash, and exit")
	return cmd
}

func runDaemon(a *app, sf *sessionFlags, df *daemonFlags, cfg swarm.Config) error {
	release, err := daemon.Lock(cfg.StateDir)
	var locked *daemon.LockedError
	if errors.As(err, &locked) {
		return withCode(exitDaemonRunning, fmt.Errorf("%w; stop it first ('kill %d'), or use another --state-dir", err, locked.PID))
	}
	if err != nil {
		return err
	}
	defer release()
	sock := df.socket
	if sock == "" {
		sock = daemon.SocketPath(cfg.StateDir)
	}
	ln, err := daemon.ListenUnix(sock)
	if err != nil {
		return err
	}
	defer ln.Close()
	fc := sf.file.Daemon
	dlFlag := df.downloadDir
	if dlFlag == "" {
		dlFlag = fc.DownloadDir
	}
	dl, err := daemonDownloadDir(dlFlag)
	if err != nil {
		return err
	}
	for key, dir := range map[string]string{"watch_dir": fc.WatchDir, "complete_dir": fc.CompleteDir} {
		if dir == "" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usageErrorf("%s under [daemon] in the config: %w", key, err)
		}
	}
	goals, err := fc.goals()
	if err != nil {
		return err
	}
	rpcAddr := df.rpc
	if rpcAddr == "" {
		rpcAddr = fc.RPC
	}
	streamLn, streamBase, err := daemonStreamListener(cmp.Or(df.stream, fc.Stream))
	if err != nil {
		return err
	}
	if streamLn != nil {
		defer streamLn.Close()
	}
	// Limiters from the start, so remotes can change the limits later.
	down, up := cfg.DownLimitBps, cfg.UpLimitBps
	cfg.DownLimitBps, cfg.UpLimitBps = cmp.Or(down, swarm.NoLimitBps), cmp.Or(up, swarm.NoLimitBps)
	err = runSession(a, sf, cfg, func(ctx context.Context, s *swarm.Session) error {
		d, err := daemon.New(daemon.Config{Session: s, Library: &daemon.Library{Dir: cfg.StateDir}, DownloadDir: dl,
			DownLimitBps: down, UpLimitBps: up, StreamBase: streamBase,
			AllowedDirs: fc.AllowedDirs, Logger: a.log})
		if errors.Is(err, daemon.ErrLibraryDamaged) {
			return usageErrorf("%w", err) // settings.json that does not parse: the message says to move it away
		}
		if err != nil {
			return err
		}
		if fc.Blocklist != "" {
			// Before Restore, so no torrent dials a blocked peer.
			if err := d.LoadBlocklist(fc.Blocklist); err != nil {
				return usageErrorf("blocklist under [daemon] in the config: %w", err)
			}
		}
		var (
			rpcLn net.Listener
			rpcH  http.Handler
		)
		if rpcAddr != "" {
			if rpcLn, rpcH, err = rpcListener(a, d, rpcAddr, fc); err != nil {
				return err
			}
			defer rpcLn.Close()
		}
		if os.Getenv("GOGC") == "" {
			// A daemon's heap is mostly its torrents' long-lived state and
			// it makes little garbage while idle: collecting at 1.5 times
			// the live heap rather than twice keeps 10,000 torrents' RSS
			// under 300 MiB for a few more collections a minute.
			debug.SetGCPercent(50)
		}
		n, err := d.Restore(ctx)
		if errors.Is(err, daemon.ErrLibraryDamaged) {
			return usageErrorf("%w", err)
		}
		if err != nil {
			return err
		}
		var g errgroup.Group
		g.Go(func() error { d.Run(ctx); return nil })
		g.Go(func() error { d.RunGoals(ctx, goals); return nil })
		if fc.WatchDir != "" {
			g.Go(func() error { return d.Watch(ctx, fc.WatchDir, 0) })
		}
		if fc.Blocklist != "" {
			g.Go(func() error { d.WatchBlocklist(ctx, fc.Blocklist, 0); return nil })
		}
		if fc.CompleteDir != "" {
			g.Go(func() error { return d.RunCompleteDir(ctx, fc.CompleteDir) })
		}
		g.Go(func() error { return daemon.Serve(ctx, ln, localHandler(d)) })
		// Restoring a big library leaves a heap of garbage behind (opened
		// files, records, parsed torrents) that an idle daemon would take
		// minutes to hand back: 10,000 torrents kept 340 MiB resident for
		// 150 MiB of live heap.
		g.Go(func() error { debug.FreeOSMemory(); return nil })
		rpcNote := ""
		if rpcLn != nil {
			g.Go(func() error { return daemon.Serve(ctx, rpcLn, rpcH) })
			rpcNote = fmt.Sprintf(", HTTP control on http://%s/ (Transmission RPC at /transmission/rpc)", rpcLn.Addr())
		}
		if streamLn != nil {
			g.Go(func() error { return stream.Serve(ctx, streamLn, &stream.Handler{Session: s, Hosts: fc.RPCHosts}) })
			rpcNote += ", files streamed at " + streamBase + "/ ('shoal show ID' names each URL)"
		}
		fmt.Fprintf(a.stdout, "shoal daemon %d ready: %d torrent(s) restored, peers on %s, control socket %s%s\n",
			os.Getpid(), n, s.Addr(), sock, rpcNote)
		<-ctx.Done()
		return g.Wait()
	})
	if errors.Is(err, context.Canceled) || a.ctx.Err() != nil && err == nil {
		return nil // SIGTERM is how a daemon is stopped
	}
	return err
}

// localHandler serves the control socket: the API, /metrics, and the web UI at / for
// a browser that reaches the socket through a forward (ssh -L PORT:SOCKET).
func localHandler(d *daemon.Daemon) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", d.Handler(daemon.Local))
	mux.Handle("GET /{$}", webui.Handler())
	mux.Handle("GET /app.js", webui.Handler())
	mux.Handle("GET /app.css", webui.Handler())
	mux.Handle("GET /metrics", d.MetricsHandler())
	mux.Handle("/", d.Handler(daemon.Local)) // its JSON 404 for anything else
	return mux
}

// daemonDownloadDir picks the folder for adds that name none.
func daemonDownloadDir(flag string) (string, error) {
	dir := flag
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", usageErrorf("no --download-dir and no home directory: %w", err)
		}
		dir = home + "/Downloads"
	}
	return dir, nil
}

// daemonStreamListener listens for the daemon's stream server: on addr,
// loopback and a free port when "", none when "off".
func daemonStreamListener(addr string) (net.Listener, string, error) {
	if addr == "off" {
		return nil, "", nil
	}
	// No credentials guard the files: only this machine may read them (a
	// browser elsewhere reaches them through ssh -L).
	if host, _, err := net.SplitHostPort(addr); addr != "" && (err != nil || !isLoopbackHost(host)) {
		return nil, "", usageErrorf("--stream %q: give a loopback address such as 127.0.0.1:9092 (the files are served without credentials), or off", addr)
	}
	ln, err := stream.Listen(addr)
	if err != nil {
		return nil, "", listenError(err)
	}
	return ln, stream.BaseURL(ln), nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
