package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/stream"
	"github.com/shoal-bt/shoal/swarm"
)

func init() { register(newStreamCmd) }

// jsonStreamURL is stream --json's line per file (docs/json.md).
type jsonStreamURL struct {
	Type string `json:"type"` // "url"
	File int    `json:"file"`
	Path string `json:"path"`
	URL  string `json:"url"`
}

func newStreamCmd(a *app) *cobra.Command {
	var (
		sf       sessionFlags
		out      string
		force    bool
		peers    []string
		trackers []string
		httpAddr string
		reuse    reuseFlags
	)
	cmd := &cobra.Command{
		Use:   "stream FILE.torrent|MAGNET [FILE]",
		Short: "Download in order and serve the files over HTTP while they arrive",
		Long: `Stream downloads as get does (into -o DIR, every piece checked), in order,
and serves the torrent's files over HTTP on loopback (--http, default
127.0.0.1 and a free port), printing one URL per file on stdout: give one to
mpv, vlc or a browser. A read, and a seek, fetches the pieces under it first
and never sends a byte before its piece passed its hash. With FILE (its
number or path as 'shoal info' shows them) only that file is downloaded and
its URL printed. It serves until Ctrl-C.`,
		ValidArgsFunction: completeArgs(completeTorrentFiles),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 || len(args) == 2 {
				return nil
			}
			return usageErrorf("%s wants FILE.torrent|MAGNET [FILE], got %d argument(s)", cmd.CommandPath(), len(args))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := sf.config(a)
			if err != nil {
				return err
			}
			src, info, dn, err := loadDownload(args[0])
			if err != nil {
				return err
			}
			if err := checkOutput(out, info, dn); err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return cannotWrite(out, err)
			}
			ln, err := stream.Listen(httpAddr)
			if err != nil {
				return listenError(err)
			}
			defer ln.Close()
			ru, err := reuse.options(&library{dir: cfg.StateDir}, src.infoHash())
			if err != nil {
				return err
			}
			add := swarm.AddOptions{Torrent: src.torrent, Magnet: src.magnet, Dir: absPath(out),
				Peers: peers, Trackers: trackers, Force: force, Sequential: true, Reuse: ru}
			only := -1
			if len(args) == 2 && info != nil {
				if only, err = stream.ResolveInfo(info, args[1]); err != nil {
					return usageErrorf("%w", err)
				}
				add.Priorities = onlyFile(len(info.Files), only)
			}
			sf.noTUI = true // the URLs stay on the screen
			return runSession(a, &sf, cfg, func(ctx context.Context, s *swarm.Session) error {
				lib := &library{dir: cfg.StateDir}
				stop := reportChecking(a, &sf, s, add)
				ih, err := lib.add(ctx, a, s, add)
				stop()
				if ed := (*existingDataError)(nil); errors.As(err, &ed) {
					ed.dir = add.Dir
				}
				if err != nil {
					return err
				}
				srvCtx, stopServer := context.WithCancel(ctx)
				var wg sync.WaitGroup
				defer wg.Wait()
				defer stopServer()
				wg.Go(func() {
					if err := stream.Serve(srvCtx, ln, &stream.Handler{Session: s}); err != nil {
						a.log.Error("Stream server stopped", "err", err)
					}
				})
				if sf.json {
					a.emitJSON(jsonStart{Type: "start", Command: "stream", InfoHash: hex.EncodeToString(ih[:]), Name: nameOf(src),
						Dir: absPath(out), Listen: s.Addr().String()})
				} else {
					fmt.Fprintf(a.stderr, "Downloading %x into %s (listening on %s)\n", ih, out, s.Addr())
				}
				ts, err := stream.WaitInfo(ctx, s, ih)
				if err != nil {
					return errInterrupted
				}
				if len(args) == 2 && info == nil { // a magnet's files are known now
					if only, err = stream.Resolve(ts, args[1]); err != nil {
						return usageErrorf("%w", err)
					}
					for k, p := range onlyFile(len(ts.Files), only) {
						if p == swarm.PrioritySkip {
							if err := s.SetFilePriority(ih, k, p); err != nil {
								return err
							}
						}
					}
				}
				for k, u := range stream.URLs(stream.BaseURL(ln), ts) {
					switch {
					case u == "" || (only >= 0 && k != only):
					case sf.json:
						a.emitJSON(jsonStreamURL{Type: "url", File: k, Path: ts.Files[k].Path, URL: u})
					default:
						fmt.Fprintln(a.stdout, u)
					}
				}
				// Progress lines go to stderr: stdout is the URLs'.
				pa := *a
				if !sf.json {
					pa.stdout = a.stderr
				}
				return follow(ctx, &pa, &sf, s, lib, ih, out, false)
			})
		},
	}
	sf.add(cmd, "dht-get")
	fs := cmd.Flags()
	fs.MarkHidden("no-tui") // stream never opens the UI: the URLs stay on the screen
	fs.StringVarP(&out, "output", "o", ".", "directory to download into")
	fs.BoolVar(&force, "force", false, "overwrite existing files that differ from the torrent")
	fs.StringArrayVar(&peers, "peer", nil, "a peer to connect to, HOST:PORT (repeatable)")
	fs.StringArrayVar(&trackers, "tracker", nil, "an extra tracker announce URL (repeatable)")
	reuse.add(fs)
	fs.StringVar(&httpAddr, "http", stream.DefaultAddr, "address of the HTTP server for the files (loopback by default)")
	return cmd
}

// onlyFile is the priorities that fetch file only, of n.
func onlyFile(n, only int) []swarm.Priority {
	prio := make([]swarm.Priority, n)
	for k := range prio {
		if k != only {
			prio[k] = swarm.PrioritySkip
		}
	}
	return prio
}
