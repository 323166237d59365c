package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/daemon"
)

func init() { register(newAddCmd) }

func newAddCmd(a *app) *cobra.Command {
	var (
		cf     clientFlags
		out    string
		paused bool
		seq    bool
		labels []string
		sel    selectFlags
		reuse  reuseFlags
	)
	cmd := &cobra.Command{
		Use:   "add MAGNET|FILE.torrent|URL",
		Short: "Add a torrent to the running daemon",
		Long: `Add hands a magnet link, a .torrent file or the URL of one to the running
daemon (shoal daemon), which downloads it to -o (default: its --download-dir)
and keeps it after you log out. It prints the torrent's number for ls, show,
pause, resume, verify, rm and set.

--only, --skip and --files choose files as they do for shoal get (a magnet's
so= does when they are not given); skipped files are never created. A
.torrent's selection is checked here, a magnet's once its info arrives.

Before fetching, the daemon looks for the torrent's files among its own
torrents' files and in the folders named with --reuse (as shoal get does).`,
		Args: exactArgs("MAGNET|FILE.torrent|URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			selection, err := sel.selection()
			if err != nil {
				return err
			}
			dirs, err := reuse.folders()
			if err != nil {
				return err
			}
			req := daemon.AddRequest{Paused: paused, Labels: labels, Select: selection, Sequential: seq,
				Reuse: dirs, ReuseLink: reuse.link}
			arg := args[0]
			switch {
			case isMagnet(arg):
				if _, err := loadTransfer(arg); err != nil {
					return err
				}
				req.Source = arg
			case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
				req.Source = arg
			default:
				// The daemon may not see the same files (another mount
				// namespace, a relative path): send the bytes.
				src, err := loadTransfer(arg)
				if err != nil {
					return err
				}
				if err := checkSelection(selection, src.torrent.Info); err != nil {
					return err
				}
				b, err := os.ReadFile(arg)
				if err != nil {
					return err
				}
				req.Metainfo = b
			}
			if out != "" {
				abs, err := filepath.Abs(out)
				if err != nil {
					return usageErrorf("-o %s: %w", out, err)
				}
				req.Dir = abs
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			added, err := c.Add(a.ctx, req)
			if err != nil {
				return clientError(err)
			}
			if cf.json {
				return a.printJSON(added)
			}
			fmt.Fprintf(a.stdout, "Added %d %s %s\n", added.ID, added.InfoHash[:8], added.Name)
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "download folder (default: the daemon's --download-dir)")
	cmd.Flags().BoolVar(&paused, "paused", false, "add without starting it")
	cmd.Flags().BoolVar(&seq, "sequential", false, "download in order (rarest first inside a sliding window), to use the data while it arrives")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "a label to tag it with, shown and filtered on by ls (repeatable)")
	sel.add(cmd.Flags())
	reuse.add(cmd.Flags())
	return cmd
}
