package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
)

// Registered by cmd_control.go's newVerifyEitherCmd, which also takes
// the daemon's torrent IDs.

func newVerifyCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify DIR FILE.torrent",
		Short: "Check data on disk against a torrent and say what is bad",
		Long: `Verify checks every file's size, every piece (its SHA-1, or for a v2-only
torrent its Merkle hash) and, when the torrent carries them, every file's
BLAKE3 digest and v2 Merkle root (a hybrid torrent's two halves are both
checked, so one that describes other bytes than the other shows). DIR is the directory that holds
the torrent's top-level file or folder (as 'get -o DIR'); the folder itself
works too. A file whose digests match is good even when a piece it
shares with a bad neighbour fails. Exit code 0 means everything matched, 4
that something did not.`,
		Args: exactArgs("DIR", "FILE.torrent"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := loadSource(args[1])
			if err != nil {
				return err
			}
			if src.torrent == nil {
				return usageErrorf("verify needs a .torrent file, not a magnet link")
			}
			info := src.torrent.Info
			dir, err := dataDir(args[0], info.Name)
			if err != nil {
				return err
			}
			st, err := pieces.OpenStorage(dir, info)
			if err != nil {
				return addError(err)
			}
			defer st.Close()
			stamps, err := pieces.Stamp(dir, info)
			if err != nil {
				return err
			}
			var have pieces.Bitfield
			if info.HasV1() {
				have, err = pieces.Check(a.ctx, st, info, runtime.GOMAXPROCS(0), nil)
			} else {
				have, err = pieces.CheckV2(a.ctx, st, info, src.torrent.PieceLayers, nil, runtime.GOMAXPROCS(0), nil)
			}
			if err != nil {
				return err
			}
			results, err := pieces.VerifyBlake3(a.ctx, st, info)
			if err != nil {
				return err
			}
			roots, err := pieces.VerifyRoots(a.ctx, st, info)
			if err != nil {
				return err
			}
			v := judge(dir, info, stamps, have, results, roots)
			v.print(a, asJSON)
			if !v.OK {
				return withCode(exitVerify, fmt.Errorf("data in %s does not match the torrent", filepath.Join(dir, info.Name)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file that is not good, then a summary")
	return cmd
}

// dataDir accepts both the parent of the torrent's top-level entry and the
// entry itself, since users name either.
func dataDir(dir, name string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", withCode(exitNotFound, fmt.Errorf("%s: no such directory", dir))
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		return dir, nil
	}
	abs, err := filepath.Abs(dir)
	if err == nil && filepath.Base(abs) == name {
		return filepath.Dir(abs), nil
	}
	return dir, nil
}
