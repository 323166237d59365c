package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/swarm"
	"github.com/shoal-bt/shoal/tui"
)

func init() { register(newUICmd) }

func newUICmd(a *app) *cobra.Command {
	var (
		sf     sessionFlags
		dir    string
		socket string
	)
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Open the terminal UI over every torrent you added",
		Long: `When a daemon runs (shoal daemon), UI attaches to it: the same views, live;
q detaches and everything keeps running. Torrents added from the UI then go
to the daemon's download dir.

Without a daemon, UI starts the engine with every torrent added before by
seed, get or the UI itself (kept in the state dir), resumes them where they
were, and shows them in the terminal UI; q stops them. Torrents added from
the UI download to --download-dir.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdout) {
				return usageErrorf("shoal ui needs a terminal; use seed or get with --no-tui or --json in scripts")
			}
			cfg, err := sf.config(a)
			if err != nil {
				return err
			}
			if attached, err := attachUI(a, socket, cfg.StateDir); attached {
				return err
			}
			lib := &library{dir: cfg.StateDir}
			entries, err := lib.load()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageErrorf("--download-dir %s: %w", dir, err)
			}
			return runSession(a, &sf, cfg, func(ctx context.Context, s *swarm.Session) error {
				for _, e := range entries {
					add, err := e.Options()
					if err == nil {
						_, err = s.Add(ctx, add)
					}
					if err != nil {
						fmt.Fprintf(a.stderr, "shoal: could not resume %s: %v\n", e.InfoHash, err)
					}
				}
				err := tui.Run(ctx, engine{Session: s, dir: dir, lib: lib}, tui.Options{})
				if ctx.Err() != nil {
					return nil // Ctrl-C is how people leave a UI
				}
				return err
			})
		},
	}
	sf.add(cmd, "dht-ui")
	cmd.Flags().StringVar(&dir, "download-dir", ".", "where torrents added in the UI are downloaded (without a daemon)")
	cmd.Flags().StringVar(&socket, "socket", "", "the daemon's control socket (default: as shoal daemon picks it)")
	return cmd
}
