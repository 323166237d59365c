package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/shoal-bt/shoal/pieces"
)

// selectFlags are get's file selection: --only and --skip globs, --files
// numbers as shoal info shows them.
type selectFlags struct {
	only, skip, files []string
}

func (f *selectFlags) add(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.only, "only", nil, "download only the files this glob matches (repeatable; ** spans folders, a glob without / matches names in any folder)")
	fs.StringArrayVar(&f.skip, "skip", nil, "never download the files this glob matches (repeatable; wins over --only and --files)")
	fs.StringArrayVar(&f.files, "files", nil, "download only these files, numbered as shoal info shows them: 1,3-5 (repeatable)")
}

// selection is what the flags ask for, or nil when they ask for nothing (a
// magnet's so= then selects, as the engine reads it). A list that cannot be
// read is a usage error naming it.
func (f *selectFlags) selection() (*pieces.Selection, error) {
	if len(f.only) == 0 && len(f.skip) == 0 && len(f.files) == 0 {
		return nil, nil
	}
	sel := &pieces.Selection{Only: f.only, Skip: f.skip}
	if len(f.files) > 0 {
		files, err := pieces.ParseFileList(strings.Join(f.files, ","))
		if err != nil {
			return nil, usageErrorf("--files %s: %w", strings.Join(f.files, ","), err)
		}
		sel.Files = files
	}
	return sel, nil
}

// checkSelection applies sel to a .torrent's files before anything starts,
// so a glob or number that matches nothing is said at once (exit 2).
func checkSelection(sel *pieces.Selection, info *pieces.Info) error {
	if sel == nil || info == nil {
		return nil
	}
	if _, err := sel.Wanted(info); err != nil {
		return usageErrorf("%w", err)
	}
	return nil
}
