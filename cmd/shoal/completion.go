package main

import (
	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
)

// Shell completion ('shoal completion bash|zsh|fish|powershell' prints the
// script): flag values that are a fixed set complete to that set, arguments
// that name a torrent complete to .torrent files (a magnet link is pasted),
// and flags that name folders complete to folders.

// completeValues completes a flag to a fixed set of values.
func completeValues(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTorrentFiles completes to .torrent files (and folders on the way
// to them).
func completeTorrentFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"torrent"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeDirs completes to folders.
func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// completeArgs completes positional arguments by position; past the last
// one it completes nothing.
func completeArgs(byPos ...cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) < len(byPos) && byPos[len(args)] != nil {
			return byPos[len(args)](cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeAny lets the shell complete file names as it would by itself.
func completeAny(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

// registerCompletions wires completion into the command tree once every
// command is built. Flags a command does not have are skipped, so each
// rule can name flags several commands share.
func registerCompletions(root *cobra.Command) {
	flagValues := map[string]cobra.CompletionFunc{
		"encryption": completeValues("allow", "prefer", "require", "off"),
		"format":     completeValues(pieces.Formats...),
		"output":     completeDirs,
		"state-dir":  completeDirs,
		"data":       completeDirs,
		"dir":        completeDirs,
	}
	args := map[string]cobra.CompletionFunc{
		"get":    completeArgs(completeTorrentFiles),
		"info":   completeArgs(completeTorrentFiles),
		"verify": completeArgs(completeDirs, completeTorrentFiles),
		"seed":   completeArgs(completeAny),
		"create": completeArgs(completeAny),
	}
	root.RegisterFlagCompletionFunc("log-level", completeValues("debug", "info", "warn", "error"))
	for _, cmd := range root.Commands() {
		for name, fn := range flagValues {
			if cmd.Flags().Lookup(name) != nil {
				cmd.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if fn, ok := args[cmd.Name()]; ok && cmd.ValidArgsFunction == nil {
			cmd.ValidArgsFunction = fn
		}
	}
}
