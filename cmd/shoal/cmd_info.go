package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
)

func init() { register(newInfoCmd) }

type infoFile struct {
	Index  int    `json:"index"` // as get --files and set --file take it; pad files have numbers too
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Blake3 string `json:"blake3"`
	Root   string `json:"root"` // BEP 52 pieces root, 64 hex digits; "" for v1 and empty files
}

type infoOut struct {
	Type        string     `json:"type"` // "info"
	InfoHash    string     `json:"infohash"`
	InfoHashV2  string     `json:"infohashV2"` // 64 hex digits; "" for v1
	Version     string     `json:"version"`    // v1, v2 or hybrid
	Name        string     `json:"name"`
	Size        int64      `json:"size"`
	PieceLength int64      `json:"pieceLength"`
	Pieces      int        `json:"pieces"`
	Private     bool       `json:"private"`
	Comment     string     `json:"comment"`
	CreatedBy   string     `json:"createdBy"`
	Trackers    [][]string `json:"trackers"`
	Peers       []string   `json:"peers"`
	WebSeeds    []string   `json:"webSeeds"`
	Magnet      string     `json:"magnet"`
	Files       []infoFile `json:"files"`
	Select      []int      `json:"select"` // a magnet's so=
}

func newInfoCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE.torrent|MAGNET",
		Short: "Print what a torrent or magnet link holds",
		Args:  exactArgs("FILE.torrent|MAGNET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := loadSource(args[0])
			if err != nil {
				return err
			}
			out := describe(src, args[0])
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false) // a magnet link's & stays &
				return enc.Encode(out)
			}
			printInfo(a, out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func describe(src source, arg string) infoOut {
	ih := src.infoHash()
	out := infoOut{Type: "info", InfoHash: hex.EncodeToString(ih[:]), Trackers: [][]string{}, Peers: []string{},
		WebSeeds: []string{}, Files: []infoFile{}, Select: []int{}}
	if m := src.magnet; m != nil {
		out.Version = "v1"
		if m.V2Only || m.InfoHashV2 != (pieces.Hash32{}) {
			out.InfoHashV2 = hex.EncodeToString(m.InfoHashV2[:])
			out.Version = map[bool]string{true: "v2", false: "hybrid"}[m.V2Only]
		}
		out.Name = m.Name
		for _, tr := range m.Trackers {
			out.Trackers = append(out.Trackers, []string{tr})
		}
		out.Peers = append(out.Peers, m.Peers...)
		out.WebSeeds = append(out.WebSeeds, m.WebSeeds...)
		out.Select = append(out.Select, m.Select...)
		out.Magnet = arg
		return out
	}
	t := src.torrent
	out.Name = t.Info.Name
	out.Version = formatOf(t.Info).String()
	if t.Info.HasV2() {
		out.InfoHashV2 = hex.EncodeToString(t.InfoHashV2[:])
	}
	out.PieceLength = t.Info.PieceLength
	out.Pieces = t.Info.NumPieces()
	out.Private = t.Info.Private
	out.Comment = t.Comment
	out.CreatedBy = t.CreatedBy
	out.Trackers = append(out.Trackers, t.Announce...)
	out.WebSeeds = append(out.WebSeeds, t.WebSeeds...)
	out.Magnet = t.Magnet()
	for k, f := range t.Info.Files {
		if f.Padding {
			continue // BEP 47 alignment, never on disk
		}
		p := path.Join(append([]string{t.Info.Name}, f.Path...)...)
		out.Files = append(out.Files, infoFile{Index: k, Path: p, Size: f.Length, Blake3: hex.EncodeToString(f.Blake3), Root: hex.EncodeToString(f.Root)})
		out.Size += f.Length
	}
	return out
}

// formatOf says which BitTorrent versions info is for.
func formatOf(info *pieces.Info) pieces.Format {
	switch {
	case !info.HasV2():
		return pieces.FormatV1
	case info.HasV1():
		return pieces.FormatHybrid
	}
	return pieces.FormatV2
}

// dataFiles counts the files and bytes a user gets: pad files aside.
func dataFiles(info *pieces.Info) (n int, size int64) {
	for _, f := range info.Files {
		if !f.Padding {
			n++
			size += f.Length
		}
	}
	return n, size
}

var versionText = map[string]string{
	"v1":     "v1",
	"v2":     "v2 (BEP 52 only: clients without v2 cannot join)",
	"hybrid": "hybrid (v1 and v2 describe the same files)",
}

func printInfo(a *app, o infoOut) {
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Name:\t%s\n", o.Name)
	fmt.Fprintf(w, "Infohash:\t%s\n", o.InfoHash)
	if o.InfoHashV2 != "" {
		fmt.Fprintf(w, "Infohash v2:\t%s\n", o.InfoHashV2)
	}
	fmt.Fprintf(w, "Version:\t%s\n", versionText[o.Version])
	if o.Pieces > 0 {
		fmt.Fprintf(w, "Size:\t%s (%d bytes) in %d file(s)\n", humanize.IBytes(uint64(o.Size)), o.Size, len(o.Files))
		fmt.Fprintf(w, "Pieces:\t%d of %s\n", o.Pieces, humanize.IBytes(uint64(o.PieceLength)))
		fmt.Fprintf(w, "Private:\t%v\n", o.Private)
	}
	if o.Comment != "" {
		fmt.Fprintf(w, "Comment:\t%s\n", o.Comment)
	}
	if o.CreatedBy != "" {
		fmt.Fprintf(w, "Created by:\t%s\n", o.CreatedBy)
	}
	for i, tier := range o.Trackers {
		for _, tr := range tier {
			fmt.Fprintf(w, "Tracker:\t%s (tier %d)\n", tr, i)
		}
	}
	for _, p := range o.Peers {
		fmt.Fprintf(w, "Peer:\t%s\n", p)
	}
	for _, u := range o.WebSeeds {
		fmt.Fprintf(w, "Web seed:\t%s\n", u)
	}
	if len(o.Select) > 0 {
		fmt.Fprintf(w, "Files chosen:\t%s (so=)\n", pieces.FormatFileList(o.Select))
	}
	fmt.Fprintf(w, "Magnet:\t%s\n", o.Magnet)
	w.Flush()
	if len(o.Files) > 0 {
		// Numbered as get --files and set --file take them.
		fmt.Fprintln(a.stdout, "Files:")
		width := len(strconv.Itoa(o.Files[len(o.Files)-1].Index))
		for _, f := range o.Files {
			note := ""
			if f.Blake3 != "" {
				note = "  blake3:" + f.Blake3[:16] + "…"
			}
			if f.Root != "" {
				note += "  root:" + f.Root // whole: it names the content in any v2 torrent
			}
			fmt.Fprintf(a.stdout, "  %*d  %10s  %s%s\n", width, f.Index, humanize.IBytes(uint64(f.Size)), f.Path, note)
		}
	}
}
