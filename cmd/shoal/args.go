package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
)

// exactArgs is cobra.ExactArgs with an error that names what was expected
// and maps to the usage exit code.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		return usageErrorf("%s wants %s, got %d argument(s)", cmd.CommandPath(), strings.Join(names, " "), len(args))
	}
}

// parseSize reads sizes such as "256KiB", "1MiB" or "262144".
func parseSize(flag, s string) (int64, error) {
	n, err := humanize.ParseBytes(s)
	if err != nil || n > 1<<40 {
		return 0, usageErrorf("%s %q: want a size such as 256KiB or 4MiB", flag, s)
	}
	return int64(n), nil
}

// source is what a user names on the command line: a .torrent file or a
// magnet link.
type source struct {
	torrent *pieces.Torrent
	magnet  *pieces.Magnet
}

func (s source) infoHash() [20]byte {
	if s.torrent != nil {
		return s.torrent.InfoHash
	}
	return s.magnet.InfoHash
}

func isMagnet(arg string) bool { return strings.HasPrefix(strings.ToLower(arg), "magnet:") }

// loadSource parses a magnet link or loads a .torrent file, mapping failures
// to the exit codes the README documents.
func loadSource(arg string) (source, error) {
	if isMagnet(arg) {
		m, err := pieces.ParseMagnet(arg)
		if err != nil {
			return source{}, usageErrorf("%w", err) // it says "bad magnet link: ..."
		}
		return source{magnet: m}, nil
	}
	t, err := pieces.Load(arg)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return source{}, withCode(exitNotFound, fmt.Errorf("%s: no such file (want a .torrent file or a magnet: link)", arg))
	case err != nil:
		return source{}, usageErrorf("%w", err) // Load names the file
	}
	return source{torrent: t}, nil
}

// loadTransfer is loadSource for the commands that hand the source to the
// engine (get, seed, add, the UI). A v2-only magnet, or a v2-only torrent
// without its piece layers, is the engine's to complete: it fetches the
// info dict and the layers from peers before any block.
func loadTransfer(arg string) (source, error) {
	return loadSource(arg)
}

// loadDownload is loadTransfer for the commands that download into a
// folder (get, stream), which check the folder before anything starts: it
// also returns what that check needs, the .torrent's info, or for a magnet
// (whose info comes later) its display name.
func loadDownload(arg string) (src source, info *pieces.Info, dn string, err error) {
	if src, err = loadTransfer(arg); err != nil {
		return source{}, nil, "", err
	}
	if src.torrent != nil {
		return src, src.torrent.Info, "", nil
	}
	return src, nil, src.magnet.Name, nil
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
