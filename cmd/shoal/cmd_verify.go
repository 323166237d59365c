package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
)

func init() { register(newVerifyCmd) }

func newVerifyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify DIR FILE.torrent",
		Short: "Check data on disk against a torrent and say what is bad",
		Long: `Verify checks every piece's SHA-1 and, when the torrent carries them,
every file's BLAKE3 digest. DIR is the directory that holds the torrent's
top-level file or folder (as 'get -o DIR'); the folder itself works too.
Exit code 0 means everything matched, 4 that something did not.`,
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
				return err
			}
			defer st.Close()
			have, err := pieces.Check(a.ctx, st, info, runtime.GOMAXPROCS(0), nil)
			if err != nil {
				return err
			}
			results, err := pieces.VerifyBlake3(a.ctx, st, info)
			if err != nil {
				return err
			}
			return reportVerify(a, info, have, results)
		},
	}
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

func reportVerify(a *app, info *pieces.Info, have pieces.Bitfield, results []pieces.FileResult) error {
	bad := 0
	for f, file := range info.Files {
		first, end := info.PiecesOf(f)
		var badPieces []int
		for p := first; p < end; p++ {
			if !have.Has(p) {
				badPieces = append(badPieces, p)
			}
		}
		name := filepath.Join(append([]string{info.Name}, file.Path...)...)
		if len(badPieces) > 0 {
			bad++
			fmt.Fprintf(a.stdout, "BAD      %s: %d of %d piece(s) missing or wrong: %s\n", name, len(badPieces), end-first, ranges(badPieces))
		}
	}
	for _, r := range results {
		switch {
		case r.Missing:
			bad++
			fmt.Fprintf(a.stdout, "MISSING  %s\n", r.Path)
		case r.Err != nil:
			bad++
			fmt.Fprintf(a.stdout, "ERROR    %s: %v\n", r.Path, r.Err)
		case !r.OK:
			bad++
			fmt.Fprintf(a.stdout, "BAD      %s: BLAKE3 digest differs\n", r.Path)
		}
	}
	n := info.NumPieces()
	fmt.Fprintf(a.stdout, "%d of %d pieces good; %d file(s) checked with BLAKE3\n", have.Count(), n, len(results))
	if bad > 0 || have.Count() != n {
		return withCode(exitVerify, fmt.Errorf("verify: data in %s does not match the torrent", info.Name))
	}
	fmt.Fprintln(a.stdout, "OK: everything matches")
	return nil
}

// ranges prints piece lists compactly: "3-7, 12, 40-41".
func ranges(ps []int) string {
	s := ""
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if s != "" {
			s += ", "
		}
		if j > i {
			s += fmt.Sprintf("%d-%d", ps[i], ps[j])
		} else {
			s += fmt.Sprintf("%d", ps[i])
		}
		if len(s) > 200 {
			return s + ", …"
		}
		i = j + 1
	}
	return s
}
