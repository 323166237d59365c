package tui

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/shoal-bt/shoal/swarm"
)

// detailHeader is the block above the tabs: name, progress, identity and,
// for a torrent that is not moving, why.
func (m *Model) detailHeader(t *swarm.TorrentSnapshot) []string {
	s, w := m.styles, m.width
	title := s.Title.Render(m.name(t)) + "  " + s.state(int(t.State)).Render(t.State.String())
	if t.Verified {
		title += s.OK.Render("  ✓ verified")
	}
	if t.Private {
		title += s.Dim.Render("  private")
	}
	if t.SuperSeeding {
		title += s.Dim.Render("  super-seeding")
	}
	if t.Sequential {
		title += s.Dim.Render("  in order")
	}
	barW := 22
	if w < 100 {
		barW = 15
	}
	prog := m.progressCell(t, barW, false)
	stats := []string{fmt.Sprintf("%s of %s", size(t.DoneBytes), size(t.WantedBytes)),
		"↓ " + rate(t.DownBps), "↑ " + rate(t.UpBps)}
	if t.State == swarm.StateMetadata && t.Pieces == nil {
		info := "asking peers for the info dict"
		if t.MetadataTotal > 0 {
			info = fmt.Sprintf("info dict %d/%d pieces", t.MetadataHave, t.MetadataTotal)
		}
		stats = []string{info, "↓ " + rate(t.DownBps)}
	}
	if t.State == swarm.StateChecking {
		stats = []string{fmt.Sprintf("checking data on disk: %d of %d pieces", t.CheckDone, t.CheckTotal)}
	}
	if t.State == swarm.StateDownloading {
		stats = append(stats, "ETA "+eta(t.ETA))
	}
	peers := []string{fmt.Sprintf("peers %d/%d", t.PeersConnected, t.PeersKnown),
		fmt.Sprintf("seeds %d", t.Seeds), fmt.Sprintf("ratio %.2f", t.Ratio()),
		"got " + size(t.Downloaded), "sent " + size(t.Uploaded), "wasted " + size(t.Wasted)}
	if !t.AddedAt.IsZero() {
		peers = append(peers, "added "+ago(m.now(), t.AddedAt))
	}
	id := []string{hex.EncodeToString(t.InfoHash[:])}
	if len(t.Pieces) > 0 {
		id = append(id, fmt.Sprintf("%d pieces × %s", len(t.Pieces), size(t.PieceLength)))
	}
	if t.DataDir != "" {
		id = append(id, t.DataDir)
	}
	lines := []string{
		clip(" "+title, w),
		" " + prog + "  " + joinFit(w-3-ansi.StringWidth(prog), stats...),
		" " + joinFit(w-1, peers...),
		s.Dim.Render(" " + joinFit(w-1, id...)),
	}
	if d := why(t); d != "" {
		st, label := s.Warn, "stuck: "
		if t.State == swarm.StateError {
			st, label = s.Err, "error: "
		}
		lines = append(lines, st.Render(clip(" "+label+d, w)))
	}
	return lines
}

func (m *Model) tabBar(t *swarm.TorrentSnapshot) string {
	s := m.styles
	counts := [numTabs]int{len(t.Peers), -1, len(t.Files), -1, -1}
	var b strings.Builder
	for i := range numTabs {
		label := fmt.Sprintf("%d %s", i+1, tabNames[i])
		if counts[i] >= 0 {
			label += fmt.Sprintf(" (%d)", counts[i])
		}
		if tab(i) == m.tab {
			b.WriteString(s.TabActive.Render("[" + label + "]"))
		} else {
			b.WriteString(s.TabInactive.Render(" " + label + " "))
		}
		b.WriteByte(' ')
	}
	bar := b.String()
	if n := len(t.Peers); m.tab == tabPeers && n > m.peerRows(t) {
		// Say where we are in a long list instead of drawing a scroll bar.
		rows := m.peerRows(t)
		top := max(0, min(m.peerTop, n-rows))
		pos := s.Dim.Render(fmt.Sprintf("%d–%d/%d ", top+1, top+rows, n))
		if gap := m.width - ansi.StringWidth(bar) - ansi.StringWidth(pos); gap > 0 {
			bar += strings.Repeat(" ", gap) + pos
		}
	}
	return clip(bar, m.width)
}

func (m *Model) viewDetail(t *swarm.TorrentSnapshot, h int) []string {
	w := m.width
	switch m.tab {
	case tabPeers:
		return m.viewPeers(t, w, h)
	case tabPieces:
		return m.viewPieces(t, w, h)
	case tabFiles:
		return m.viewFiles(t, w, h)
	case tabSources:
		return m.viewSources(t, w, h)
	case tabRates:
		return m.viewRates(t, w, h)
	}
	return nil
}

var peerCols = []column{
	{title: "Address", flex: true, maxW: 47}, // "[v6 address]:port"
	{title: "Client", width: 18, drop: 3},
	{title: "Flags", width: 5},
	{title: "Source", width: 8, drop: 4},
	{title: "Down", width: 10, right: true},
	{title: "Up", width: 10, right: true, drop: 1},
	{title: "Has", width: 4, right: true, drop: 2},
	{title: "Req o/i", width: 7, right: true, drop: 5},
}

const peerLegend = "D/d down/choked · U/u up/choking · K/? idle · I/O in/out · E enc · S snubbed"

// bannedLines is how many lines the banned-peers section takes.
func bannedLines(t *swarm.TorrentSnapshot) int {
	if len(t.Banned) == 0 {
		return 0
	}
	return 1 + min(len(t.Banned), 3)
}

// peerRows is how many peers fit on the Peers tab.
func (m *Model) peerRows(t *swarm.TorrentSnapshot) int {
	return max(m.bodyHeight()-2-bannedLines(t), 1)
}

func peerFlags(p *swarm.PeerSnapshot) string {
	var b [5]byte
	switch {
	case p.AmInterested && !p.PeerChoking:
		b[0] = 'D'
	case p.AmInterested:
		b[0] = 'd'
	case !p.PeerChoking:
		b[0] = 'K'
	default:
		b[0] = '-'
	}
	switch {
	case p.PeerInterested && !p.AmChoking:
		b[1] = 'U'
	case p.PeerInterested:
		b[1] = 'u'
	case !p.AmChoking:
		b[1] = '?'
	default:
		b[1] = '-'
	}
	b[2] = 'O'
	if p.Incoming {
		b[2] = 'I'
	}
	b[3], b[4] = '-', '-'
	if p.Encrypted {
		b[3] = 'E'
	}
	if p.Snubbed {
		b[4] = 'S'
	}
	return string(b[:])
}

// sortedPeers orders peers busiest first without touching the snapshot.
func sortedPeers(ps []swarm.PeerSnapshot) []int {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := &ps[a], &ps[b]
		if c := cmp.Compare(y.DownBps+y.UpBps, x.DownBps+x.UpBps); c != 0 {
			return c
		}
		return cmp.Compare(x.Addr, y.Addr)
	})
	return idx
}

func (m *Model) viewPeers(t *swarm.TorrentSnapshot, w, h int) []string {
	s := m.styles
	widths := layout(peerCols, w-1, 21)
	lines := make([]string, 0, h)
	rows := m.peerRows(t)
	top := max(0, min(m.peerTop, len(t.Peers)-rows))
	lines = append(lines, s.ColHeader.Render(fit(" "+row(peerCols, widths, headerRow(peerCols)), w, false)))
	if len(t.Peers) == 0 {
		lines = append(lines, s.Dim.Render(" No connected peers."))
	}
	order := sortedPeers(t.Peers)
	for _, pi := range order[top:min(top+rows, len(order))] {
		p := &t.Peers[pi]
		client := p.Client
		if client == "" {
			client = "?"
		}
		lines = append(lines, " "+row(peerCols, widths, []string{
			p.Addr, client, peerFlags(p), p.Source.String(),
			s.Down.Render(rate(p.DownBps)), s.Up.Render(rate(p.UpBps)),
			pct(p.Progress), fmt.Sprintf("%d/%d", p.RequestsOut, p.RequestsIn),
		}))
	}
	for len(lines) < h-1-bannedLines(t) {
		lines = append(lines, "")
	}
	if len(t.Banned) > 0 {
		lines = append(lines, s.Err.Render(clip(fmt.Sprintf(" Banned (%d)", len(t.Banned)), w)))
		for i, b := range t.Banned[:min(len(t.Banned), 3)] {
			text := fmt.Sprintf("   %-21s %s, %s", b.Addr, b.Reason, ago(m.now(), b.At))
			if i == 2 && len(t.Banned) > 3 {
				text = fmt.Sprintf("   … and %d more", len(t.Banned)-2)
			}
			lines = append(lines, clip(text, w))
		}
	}
	return append(lines, s.Dim.Render(clip(" "+peerLegend, w)))
}

var fileCols = []column{
	{title: "#", width: 3, right: true, drop: 2},
	{title: "Path", flex: true},
	{title: "Size", width: 9, right: true, drop: 1},
	{title: "Progress", width: 16},
	{title: "Priority", width: 8},
}

func (m *Model) viewFiles(t *swarm.TorrentSnapshot, w, h int) []string {
	s := m.styles
	widths := layout(fileCols, w-2, 16)
	lines := make([]string, 0, h)
	lines = append(lines, s.ColHeader.Render(fit("  "+row(fileCols, widths, headerRow(fileCols)), w, false)))
	if len(t.Files) == 0 {
		return append(lines, s.Dim.Render(" No file list until the metadata arrives."))
	}
	rows := max(h-1, 1)
	top := max(0, min(m.fileTop, len(t.Files)-rows))
	for i := top; i < len(t.Files) && i < top+rows; i++ {
		f := &t.Files[i]
		frac := fileFraction(f)
		sel := i == m.fileCur
		prio := priorityName(f.Priority)
		bar := m.bar(frac, widths[3]-5, sel) + " " + fit(pct(frac), 4, true)
		line := row(fileCols, widths, []string{fmt.Sprint(i), f.Path, size(f.SizeBytes), bar, prio})
		if sel {
			line = s.Selected.Render("▸ " + line)
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
	}
	return lines
}

// fileFraction is how much of a file is verified. An empty file has no
// bytes to fetch: it is complete as soon as the torrent's content is known
// (it is created with the pieces around it, or at once if it is all there is).
func fileFraction(f *swarm.FileSnapshot) float64 {
	if f.SizeBytes == 0 {
		return 1
	}
	return float64(f.DoneBytes) / float64(f.SizeBytes)
}
