package main

import (
	"bufio"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/swarm"
)

func init() {
	register(newLsCmd)
	register(newShowCmd)
}

func newLsCmd(a *app) *cobra.Command {
	var (
		cf     clientFlags
		labels []string
	)
	cmd := &cobra.Command{
		Use:   "ls [--label L]...",
		Short: "List the running daemon's torrents",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			// A short-lived process decoding 10,000 rows spent a third of
			// its time collecting garbage it would soon drop anyway.
			debug.SetGCPercent(400)
			rows, err := c.List(a.ctx)
			if err != nil {
				return clientError(err)
			}
			rows = slices.DeleteFunc(rows, func(r daemon.Row) bool { return !hasLabels(r, labels) })
			if cf.json {
				return a.printJSON(rows)
			}
			printRows(a.stdout, rows)
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only torrents with this label (repeatable: with all of them)")
	return cmd
}

// hasLabels says whether r has every one of want; labels match whatever
// their case, as in the web UI's filter.
func hasLabels(r daemon.Row, want []string) bool {
	for _, w := range want {
		w = strings.TrimSpace(w)
		if !slices.ContainsFunc(r.Labels, func(l string) bool { return strings.EqualFold(l, w) }) {
			return false
		}
	}
	return true
}

// printRows prints ls's table; the LABELS column only when some torrent
// has labels.
func printRows(w io.Writer, rows []daemon.Row) {
	withLabels := slices.ContainsFunc(rows, func(r daemon.Row) bool { return len(r.Labels) > 0 })
	// tabwriter writes each cell and its padding on its own: 10,000 rows
	// were 200,000 write(2)s to the terminal.
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	head := "ID\tHASH\tSTATE\tDONE\tSIZE\tDOWN\tUP\tPEERS\tETA\t"
	if withLabels {
		head += "LABELS\t"
	}
	fmt.Fprintln(tw, head+"NAME")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t%d\t%s\t", r.ID, r.InfoHash[:8], r.State,
			100*r.Progress, humanize.IBytes(uint64(r.SizeBytes)), rate(r.DownBps), rate(r.UpBps), r.Peers, eta(r))
		if withLabels {
			l := strings.Join(r.Labels, ",")
			if l == "" {
				l = "-"
			}
			fmt.Fprintf(tw, "%s\t", l)
		}
		fmt.Fprintf(tw, "%s\n", r.Name)
	}
	tw.Flush()
}

func newShowCmd(a *app) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:               "show ID",
		Short:             "Show one torrent of the running daemon: peers, files, trackers, pieces",
		Long:              "ID is the number 'shoal ls' shows, or the start of the infohash.",
		Args:              exactArgs("ID"),
		ValidArgsFunction: completeIDs(a, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			dt, err := c.Detail(a.ctx, args[0])
			if err != nil {
				return clientError(err)
			}
			if cf.json {
				return a.printJSON(dt)
			}
			printDetail(a.stdout, dt)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}

func rate(bps int64) string {
	if bps == 0 {
		return "-"
	}
	return humanize.IBytes(uint64(bps)) + "/s"
}

func eta(r daemon.Row) string {
	if r.ETASeconds < 0 || r.Progress >= 1 {
		return "-"
	}
	return (time.Duration(r.ETASeconds) * time.Second).String()
}

func printDetail(w io.Writer, dt daemon.Detail) {
	t := &dt.Torrent
	fmt.Fprintf(w, "ID:        %d\nName:      %s\nInfohash:  %x\nState:     %s\n", dt.ID, t.Name, t.InfoHash[:], t.State)
	if t.Err != "" {
		fmt.Fprintf(w, "Error:     %s\n", t.Err)
	}
	if t.Stalled != "" {
		fmt.Fprintf(w, "Stalled:   %s\n", t.Stalled)
	}
	fmt.Fprintf(w, "Folder:    %s\n", t.DataDir)
	if len(dt.Settings.Labels) > 0 {
		fmt.Fprintf(w, "Labels:    %s\n", strings.Join(dt.Settings.Labels, ", "))
	}
	fmt.Fprintf(w, "Progress:  %.1f%% of %s wanted (%s in all), verified: %t\n", 100*t.Progress(),
		humanize.IBytes(uint64(t.WantedBytes)), humanize.IBytes(uint64(t.SizeBytes)), t.Verified)
	fmt.Fprintf(w, "Rates:     down %s, up %s; downloaded %s, uploaded %s, ratio %.2f\n", rate(t.DownBps), rate(t.UpBps),
		humanize.IBytes(uint64(t.Downloaded)), humanize.IBytes(uint64(t.Uploaded)), t.Ratio())
	fmt.Fprintf(w, "Peers:     %d connected (%d seeds), %d known\n", t.PeersConnected, t.Seeds, t.PeersKnown)
	var count [5]int
	for _, p := range t.Pieces {
		if int(p) < len(count) {
			count[p]++
		}
	}
	if t.Pieces == nil {
		fmt.Fprintf(w, "Pieces:    not known yet (metadata %d/%d)\n", t.MetadataHave, t.MetadataTotal)
	} else {
		fmt.Fprintf(w, "Pieces:    %d of %s: %d done, %d in flight, %d missing, %d failed, %d skipped\n",
			len(t.Pieces), humanize.IBytes(uint64(t.PieceLength)), count[swarm.PieceDone], count[swarm.PieceInFlight],
			count[swarm.PieceMissing], count[swarm.PieceFailed], count[swarm.PieceSkipped])
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(t.Files) > 0 {
		fmt.Fprintln(tw, "\nFILE\tPRIORITY\tDONE\tSIZE\tPATH")
		for i, f := range t.Files {
			done := 100.0
			if f.SizeBytes > 0 {
				done = 100 * float64(f.DoneBytes) / float64(f.SizeBytes)
			}
			fmt.Fprintf(tw, "%d\t%s\t%.1f%%\t%s\t%s\n", i, priorityName(f.Priority), done, humanize.IBytes(uint64(f.SizeBytes)), f.Path)
		}
	}
	if len(dt.URLs) > 0 {
		fmt.Fprintln(tw, "\nFILE\tSTREAM URL")
		for i, u := range dt.URLs {
			if u != "" {
				fmt.Fprintf(tw, "%d\t%s\n", i, u)
			}
		}
	}
	if len(t.Trackers) > 0 {
		fmt.Fprintln(tw, "\nTRACKER\tSEEDERS\tLEECHERS\tLAST\tSTATUS")
		for _, tr := range t.Trackers {
			status := "ok"
			if tr.LastErr != "" {
				status = tr.LastErr
			} else if tr.LastAnnounce.IsZero() {
				status = "not yet announced"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", tr.URL, count0(tr.Seeders), count0(tr.Leechers), ago(tr.LastAnnounce), status)
		}
	}
	if len(t.WebSeeds) > 0 {
		fmt.Fprintln(tw, "\nWEB SEED\tRECEIVED\tDOWN\tSTATUS")
		for _, ws := range t.WebSeeds {
			status := ws.State.String()
			if ws.Err != "" && ws.State != swarm.WebSeedActive {
				status += ": " + ws.Err
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ws.URL, humanize.IBytes(uint64(ws.Downloaded)), rate(ws.DownBps), status)
		}
	}
	if len(t.Peers) > 0 {
		fmt.Fprintln(tw, "\nPEER\tCLIENT\tFLAGS\tDOWN\tUP\tHAS\tSOURCE")
		for _, p := range t.Peers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\n", p.Addr, p.Client, peerFlags(p), rate(p.DownBps), rate(p.UpBps),
				100*p.Progress, p.Source)
		}
	}
	tw.Flush()
}

func priorityName(p swarm.Priority) string {
	switch p {
	case swarm.PrioritySkip:
		return "skip"
	case swarm.PriorityHigh:
		return "high"
	}
	return "normal"
}

func count0(n int) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}

// peerFlags are Transmission's letters: D/d we download (or would),
// U/u we upload (or would), E encrypted, I incoming.
func peerFlags(p swarm.PeerSnapshot) string {
	var b strings.Builder
	switch {
	case p.AmInterested && !p.PeerChoking:
		b.WriteByte('D')
	case p.AmInterested:
		b.WriteByte('d')
	}
	switch {
	case p.PeerInterested && !p.AmChoking:
		b.WriteByte('U')
	case p.PeerInterested:
		b.WriteByte('u')
	}
	if p.Encrypted {
		b.WriteByte('E')
	}
	if p.Incoming {
		b.WriteByte('I')
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
