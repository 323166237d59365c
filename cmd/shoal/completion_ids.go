package main

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Commands that take the daemon's torrent IDs complete them from the
// running daemon, each with the torrent's name as its description. The
// shell waits for the answer, so the daemon gets two seconds; no daemon
// (or any error) means no candidates, never a message.

const completeTimeout = 2 * time.Second

// daemonIDs asks the daemon named by cmd's --socket/--state-dir flags for
// its torrents' IDs starting with toComplete, skipping those in args.
func daemonIDs(a *app, cmd *cobra.Command, args []string, toComplete string) []string {
	var cf clientFlags
	cf.socket, _ = cmd.Flags().GetString("socket")
	cf.stateDir, _ = cmd.Flags().GetString("state-dir")
	c, err := cf.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(a.ctx, completeTimeout)
	defer cancel()
	rows, err := c.List(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range rows {
		id := strconv.Itoa(r.ID)
		if !strings.HasPrefix(id, toComplete) || slices.Contains(args, id) {
			continue
		}
		desc := r.Name // the infohash while a magnet's metadata is unknown
		// A tab or newline in a name would split the shell's candidates.
		desc = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, desc)
		out = append(out, id+"\t"+desc)
	}
	return out
}

// completeIDs completes torrent IDs: up to max of them (0: any number).
func completeIDs(a *app, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return daemonIDs(a, cmd, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeVerify serves both forms of verify: IDs of the daemon's
// torrents, or DIR FILE.torrent. A first word of digits (or none yet)
// offers the IDs when the daemon has matching ones, folders otherwise;
// after a first word that is not a number, the offline form goes on.
func completeVerify(a *app) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch {
		case len(args) == 0:
			if strings.Trim(toComplete, "0123456789") == "" {
				if ids := daemonIDs(a, cmd, args, toComplete); len(ids) > 0 {
					return ids, cobra.ShellCompDirectiveNoFileComp
				}
			}
			return completeDirs(cmd, args, toComplete)
		case strings.Trim(args[0], "0123456789") != "":
			return completeArgs(completeDirs, completeTorrentFiles)(cmd, args, toComplete)
		}
		return daemonIDs(a, cmd, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
