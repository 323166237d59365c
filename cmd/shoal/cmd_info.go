package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
)

func init() { register(newInfoCmd) }

type infoFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Blake3 string `json:"blake3"`
}

type infoOut struct {
	Type        string     `json:"type"` // "info"
	InfoHash    string     `json:"infohash"`
	Name        string     `json:"name"`
	Size        int64      `json:"size"`
	PieceLength int64      `json:"pieceLength"`
	Pieces      int        `json:"pieces"`
	Private     bool       `json:"private"`
	Comment     string     `json:"comment"`
	CreatedBy   string     `json:"createdBy"`
	Trackers    [][]string `json:"trackers"`
	Peers       []string   `json:"peers"`
	Magnet      string     `json:"magnet"`
	Files       []infoFile `json:"files"`
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
	out := infoOut{Type: "info", InfoHash: hex.EncodeToString(ih[:]), Trackers: [][]string{}, Peers: []string{}, Files: []infoFile{}}
	if m := src.magnet; m != nil {
		out.Name = m.Name
		for _, tr := range m.Trackers {
			out.Trackers = append(out.Trackers, []string{tr})
		}
		out.Peers = append(out.Peers, m.Peers...)
		out.Magnet = arg
		return out
	}
	t := src.torrent
	out.Name = t.Info.Name
	out.Size = t.Info.Length
	out.PieceLength = t.Info.PieceLength
	out.Pieces = t.Info.NumPieces()
	out.Private = t.Info.Private
	out.Comment = t.Comment
	out.CreatedBy = t.CreatedBy
	out.Trackers = append(out.Trackers, t.Announce...)
	out.Magnet = t.Magnet()
	for _, f := range t.Info.Files {
		p := path.Join(append([]string{t.Info.Name}, f.Path...)...)
		out.Files = append(out.Files, infoFile{Path: p, Size: f.Length, Blake3: hex.EncodeToString(f.Blake3)})
	}
	return out
}

func printInfo(a *app, o infoOut) {
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Name:\t%s\n", o.Name)
	fmt.Fprintf(w, "Infohash:\t%s\n", o.InfoHash)
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
	fmt.Fprintf(w, "Magnet:\t%s\n", o.Magnet)
	w.Flush()
	if len(o.Files) > 0 {
		fmt.Fprintln(a.stdout, "Files:")
		for _, f := range o.Files {
			b3 := ""
			if f.Blake3 != "" {
				b3 = "  blake3:" + f.Blake3[:16] + "…"
			}
			fmt.Fprintf(a.stdout, "  %10s  %s%s\n", humanize.IBytes(uint64(f.Size)), f.Path, b3)
		}
	}
}
