package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/daemon"
)

func init() {
	register(func(a *app) *cobra.Command {
		return newActCmd(a, "pause", "Pause torrents of the running daemon (kept paused across restarts)", "Paused",
			(*daemon.Client).Pause)
	})
	register(func(a *app) *cobra.Command {
		return newActCmd(a, "resume", "Resume paused torrents of the running daemon", "Resumed", (*daemon.Client).Resume)
	})
	register(newVerifyEitherCmd)
	register(newRmCmd)
	register(newSetCmd)
}

type actFunc func(*daemon.Client, context.Context, string) (daemon.Added, error)

func newActCmd(a *app, name, short, done string, act actFunc) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:               name + " ID...",
		Short:             short,
		Long:              short + ".\nID is the number 'shoal ls' shows, or the start of the infohash.",
		Args:              minArgs("ID..."),
		ValidArgsFunction: completeIDs(a, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachID(a, &cf, args, done, func(c *daemon.Client, id string) (daemon.Added, error) {
				return act(c, a.ctx, id)
			})
		},
	}
	cf.add(cmd)
	return cmd
}

func newRmCmd(a *app) *cobra.Command {
	var (
		cf         clientFlags
		deleteData bool
	)
	cmd := &cobra.Command{
		Use:               "rm ID...",
		Short:             "Remove torrents from the running daemon (their data stays unless --delete-data)",
		Args:              minArgs("ID..."),
		ValidArgsFunction: completeIDs(a, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachID(a, &cf, args, "Removed", func(c *daemon.Client, id string) (daemon.Added, error) {
				return c.Remove(a.ctx, id, deleteData)
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&deleteData, "delete-data", false, "also delete the downloaded files")
	return cmd
}

func newSetCmd(a *app) *cobra.Command {
	var (
		cf        clientFlags
		down, up  string
		fileFlags []string
		labels    []string
		noLabels  bool
		seq       bool
	)
	cmd := &cobra.Command{
		Use:               "set ID [--down-limit RATE] [--up-limit RATE] [--file N=skip|normal|high]... [--label L... | --no-labels] [--sequential=true|false]",
		Short:             "Change a torrent's file priorities, speed limits or labels in the running daemon",
		Args:              exactArgs("ID"),
		ValidArgsFunction: completeIDs(a, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req daemon.SetRequest
			for _, lim := range []struct {
				flag, v string
				dst     **int64
			}{{"--down-limit", down, &req.DownLimitBps}, {"--up-limit", up, &req.UpLimitBps}} {
				if !cmd.Flags().Changed(strings.TrimPrefix(lim.flag, "--")) {
					continue
				}
				n := int64(0)
				if lim.v != "0" && lim.v != "" {
					var err error
					if n, err = parseSize(lim.flag, lim.v); err != nil {
						return err
					}
				}
				*lim.dst = &n
			}
			for _, f := range fileFlags {
				n, p, ok := strings.Cut(f, "=")
				i, err := strconv.Atoi(n)
				if _, good := daemon.ParsePriority(p); !ok || err != nil || i < 0 || !good {
					return usageErrorf("--file %q: want N=skip, N=normal or N=high, N the file's number in 'shoal show'", f)
				}
				req.Files = append(req.Files, daemon.FilePriority{Index: i, Priority: p})
			}
			switch {
			case noLabels && len(labels) > 0:
				return usageErrorf("--label and --no-labels together: give the labels to keep, or --no-labels to clear them")
			case noLabels:
				req.Labels = &[]string{} // not nil: an empty list clears them
			case len(labels) > 0:
				req.Labels = &labels
			}
			if cmd.Flags().Changed("sequential") {
				req.Sequential = &seq
			}
			if req.DownLimitBps == nil && req.UpLimitBps == nil && len(req.Files) == 0 && req.Labels == nil && req.Sequential == nil {
				return usageErrorf("nothing to set: give --down-limit, --up-limit, --file, --label, --no-labels or --sequential")
			}
			return eachID(a, &cf, args, "Set", func(c *daemon.Client, id string) (daemon.Added, error) {
				return c.Set(a.ctx, id, req)
			})
		},
	}
	cf.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&down, "down-limit", "", "download limit such as 10MiB (per second; 0 = unlimited)")
	fs.StringVar(&up, "up-limit", "", "upload limit such as 10MiB (per second; 0 = unlimited)")
	fs.StringArrayVar(&fileFlags, "file", nil, "N=skip|normal|high: one file's priority (repeatable)")
	fs.StringArrayVar(&labels, "label", nil, "replace the torrent's labels with these (repeatable)")
	fs.BoolVar(&noLabels, "no-labels", false, "remove all the torrent's labels")
	fs.BoolVar(&seq, "sequential", false, "download in order, to use the data while it arrives (--sequential=false: rarest first again)")
	return cmd
}

// eachID runs act on every id, reports each, and fails with the first
// failure's code after trying them all.
func eachID(a *app, cf *clientFlags, ids []string, done string, act func(*daemon.Client, string) (daemon.Added, error)) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	var first error
	failed := 0
	for _, id := range ids {
		r, err := act(c, id)
		if err != nil {
			err = clientError(err)
			if len(ids) == 1 || codeOf(a.ctx, err) == exitNoDaemon {
				return err // the same for every id
			}
			fmt.Fprintf(a.stderr, "shoal: %s: %v\n", id, err)
			if first == nil {
				first = err
			}
			failed++
			continue
		}
		if cf.json {
			a.printJSON(r)
			continue
		}
		fmt.Fprintf(a.stdout, "%s %d %s\n", done, r.ID, r.InfoHash[:8])
	}
	if first != nil {
		return withCode(codeOf(a.ctx, first), fmt.Errorf("%d of %d torrents failed", failed, len(ids)))
	}
	return nil
}

// minArgs wants at least one argument.
func minArgs(names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return nil
		}
		return usageErrorf("%s wants %s", cmd.CommandPath(), names)
	}
}

// newVerifyEitherCmd is verify DIR FILE.torrent (checks files here, no
// daemon) and verify ID... (the daemon checks its torrents again): one
// command, told apart by its arguments.
func newVerifyEitherCmd(a *app) *cobra.Command {
	cmd := newVerifyCmd(a)
	offlineArgs, offlineRun := cmd.Args, cmd.RunE
	var cf clientFlags
	offline := func(args []string) bool {
		return len(args) == 2 && (isDir(args[0]) || strings.HasSuffix(strings.ToLower(args[1]), ".torrent"))
	}
	cmd.Use = "verify DIR FILE.torrent | verify ID..."
	cmd.ValidArgsFunction = completeVerify(a)
	cmd.Long += `

Given IDs instead (the numbers 'shoal ls' shows, or infohash prefixes), the
running daemon checks those torrents' data again and fetches what fails.`
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErrorf("%s wants DIR FILE.torrent, or the IDs of the daemon's torrents", c.CommandPath())
		}
		if offline(args) {
			return offlineArgs(c, args)
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if offline(args) {
			return offlineRun(c, args)
		}
		cf.json, _ = c.Flags().GetBool("json")
		return eachID(a, &cf, args, "Verifying", func(cl *daemon.Client, id string) (daemon.Added, error) {
			return cl.Verify(a.ctx, id)
		})
	}
	fs := cmd.Flags()
	fs.StringVar(&cf.socket, "socket", "", "with IDs: the daemon's control socket (default: as shoal daemon picks it)")
	if fs.Lookup("state-dir") == nil {
		fs.StringVar(&cf.stateDir, "state-dir", "", "with IDs: the daemon's state dir, to find its socket")
	}
	return cmd
}
