package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"

	"github.com/shoal-bt/shoal/internal/atomicfile"
)

func init() { register(newCreateCmd) }

type createFlags struct {
	out         string
	trackers    []string
	webSeeds    []string
	private     bool
	pieceLength string
	comment     string
	force       bool
	format      string
}

// defaultFormat is what create and seed make without --format; the README
// says why (which clients here download which format).
const defaultFormat = "v1"

func (f *createFlags) add(cmd *cobra.Command, withOut bool) {
	fs := cmd.Flags()
	if withOut {
		fs.StringVarP(&f.out, "output", "o", "", "write the torrent here (default: NAME.torrent in the current directory)")
		fs.BoolVar(&f.force, "force", false, "overwrite the output file if it exists")
	}
	fs.StringArrayVar(&f.trackers, "tracker", nil, "announce URL to put in the torrent (repeatable; one tier each)")
	fs.StringArrayVar(&f.webSeeds, "web-seed", nil, "http(s) URL of a web server holding the data (BEP 19; repeatable): a folder's URL ends in /")
	fs.BoolVar(&f.private, "private", false, "mark the torrent private (BEP 27): trackers only, no DHT, PEX or LSD")
	fs.StringVar(&f.pieceLength, "piece-length", "", "piece length such as 256KiB (default: chosen from the total size)")
	fs.StringVar(&f.comment, "comment", "", "comment to put in the torrent")
	fs.StringVar(&f.format, "format", defaultFormat, "v1, v2 (BEP 52) or hybrid (both, with pad files): which BitTorrent version(s) the torrent is for")
}

func (f *createFlags) options(a *app) (pieces.CreateOptions, error) {
	opts := pieces.CreateOptions{
		Trackers:  f.trackers,
		WebSeeds:  f.webSeeds,
		Private:   f.private,
		Comment:   f.comment,
		CreatedBy: "shoal",
	}
	for _, u := range f.webSeeds {
		if err := pieces.CheckWebSeed(u); err != nil {
			return opts, usageErrorf("--web-seed %q: %v", u, err)
		}
	}
	format, err := pieces.ParseFormat(f.format)
	if err != nil {
		return opts, usageErrorf("--%v", err)
	}
	opts.Format = format
	if f.pieceLength != "" {
		n, err := parseSize("--piece-length", f.pieceLength)
		if err != nil {
			return opts, err
		}
		if n < 16<<10 || n&(n-1) != 0 {
			return opts, usageErrorf("--piece-length %s: want a power of two of at least 16KiB", f.pieceLength)
		}
		opts.PieceLength = n
	}
	return opts, nil
}

func newCreateCmd(a *app) *cobra.Command {
	var (
		f      createFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "create DIR|FILE",
		Short: "Hash a folder or file into a .torrent",
		Long: `Create hashes a folder or file on all cores and writes a .torrent:
v1 (SHA-1 pieces), v2 (BEP 52: a SHA-256 Merkle tree per file) or hybrid
(both halves, with pad files so that v1 pieces line up with files; any
client can join). v1 and hybrid file entries also carry a BLAKE3 digest of
the file, which shoal checks after a download and in 'shoal verify' (other
clients ignore it); v2 files have their Merkle root instead.`,
		Args: exactArgs("DIR|FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(a)
			if err != nil {
				return err
			}
			if _, err := os.Stat(args[0]); errors.Is(err, fs.ErrNotExist) {
				return withCode(exitNotFound, fmt.Errorf("%s: no such file or folder", args[0]))
			}
			out := f.out
			if out == "" {
				out = filepath.Base(filepath.Clean(args[0])) + ".torrent"
			}
			if !f.force {
				if _, err := os.Stat(out); err == nil {
					return withCode(exitConflict, fmt.Errorf("%s exists; pass --force to overwrite it or -o to write elsewhere", out))
				}
			}
			opts.Progress = newHashProgress(a, "Hashing")
			t, err := pieces.Create(a.ctx, args[0], opts)
			if err != nil {
				return classifyCreateErr(err)
			}
			if err := writeFileAtomic(out, t.Bytes()); err != nil {
				return err
			}
			files, size := dataFiles(t.Info)
			if asJSON {
				created := jsonCreated{Type: "created", Torrent: absPath(out), InfoHash: hex.EncodeToString(t.InfoHash[:]),
					Format: opts.Format.String(), Name: t.Info.Name, Size: size, Files: files, Pieces: t.Info.NumPieces(),
					PieceLength: t.Info.PieceLength, Magnet: t.Magnet()}
				if t.Info.HasV2() {
					created.InfoHashV2 = hex.EncodeToString(t.InfoHashV2[:])
				}
				a.emitJSON(created)
				return nil
			}
			fmt.Fprintf(a.stdout, "Torrent: %s (%s)\nName:    %s\nSize:    %s in %d file(s), %d pieces of %s\nMagnet:  %s\n",
				out, opts.Format, t.Info.Name, humanize.IBytes(uint64(size)), files,
				t.Info.NumPieces(), humanize.IBytes(uint64(t.Info.PieceLength)), t.Magnet())
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was made as one JSON object")
	return cmd
}

// jsonCreated is what create --json prints.
type jsonCreated struct {
	Type        string `json:"type"`    // "created"
	Torrent     string `json:"torrent"` // absolute path
	InfoHash    string `json:"infohash"`
	InfoHashV2  string `json:"infohashV2"` // "" for v1
	Format      string `json:"format"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	Files       int    `json:"files"`
	Pieces      int    `json:"pieces"`
	PieceLength int64  `json:"pieceLength"`
	Magnet      string `json:"magnet"`
}

func classifyCreateErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return withCode(exitNotFound, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return usageErrorf("%w", err)
	}
	return err
}

// writeFileAtomic writes data so that a crash leaves either the old file or
// the new one, never half of it.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o644, true)
}
