package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-bt/shoal/swarm"
)

var trackerCols = []column{
	{title: "Tracker", flex: true},
	{title: "Status", width: 18},
	{title: "Seeds", width: 5, right: true, drop: 3},
	{title: "Leech", width: 5, right: true, drop: 4},
	{title: "Got", width: 4, right: true, drop: 2},
	{title: "Last", width: 10, right: true, drop: 1},
	{title: "Next", width: 9, right: true},
}

func count(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

func (m *Model) viewSources(t *swarm.TorrentSnapshot, w, h int) []string {
	s := m.styles
	now := m.now()
	widths := layout(trackerCols, w-1, 20)
	lines := make([]string, 0, h)
	lines = append(lines, s.ColHeader.Render(fit(" "+row(trackerCols, widths, headerRow(trackerCols)), w, false)))
	if len(t.Trackers) == 0 {
		lines = append(lines, s.Dim.Render(" No trackers."))
	}
	// Leave room for the web seeds, DHT, LSD/PEX and counts lines below.
	web := m.webSeedLines(t, w, min(len(t.WebSeeds)+2, max(h-9, 0)))
	room := max(h-6-len(web), 1)
	for i, tr := range t.Trackers {
		if i == room-1 && len(t.Trackers) > room {
			lines = append(lines, s.Dim.Render(fmt.Sprintf(" … and %d more", len(t.Trackers)-i)))
			break
		}
		status := s.OK.Render("ok")
		switch {
		case tr.LastErr != "":
			status = s.Err.Render(tr.LastErr)
		case tr.LastAnnounce.IsZero():
			status = s.Dim.Render("not yet announced")
		}
		lines = append(lines, " "+row(trackerCols, widths, []string{
			tr.URL, status, count(tr.Seeders), count(tr.Leechers), strconv.Itoa(tr.PeersGot),
			ago(now, tr.LastAnnounce), until(now, tr.NextAnnounce),
		}))
	}
	lines = append(lines, web...)
	lines = append(lines, "")
	d := m.snap.DHT
	dht := " DHT  "
	switch {
	case t.Private:
		dht += "off for this torrent: it is private (BEP 27), so no DHT, PEX or LSD"
	case !d.Enabled:
		dht += "disabled"
	default:
		dht += fmt.Sprintf("%s (%d good) · last lookup %s", plural(d.Nodes, "node"), d.GoodNodes, ago(now, d.LastLookup))
		if !d.LastLookup.IsZero() {
			dht += fmt.Sprintf(": %d peers", d.LastLookupPeers)
		}
		dht += " · " + d.Addr
	}
	lines = append(lines, clip(dht, w))
	c := t.Sources
	if !t.Private {
		lines = append(lines, clip(fmt.Sprintf(" PEX  %d peers learned from peers · LSD  %d found on the LAN", c.PEX, c.LSD), w))
	}
	parts := []string{
		fmt.Sprintf("tracker %d", c.Tracker), fmt.Sprintf("dht %d", c.DHT), fmt.Sprintf("pex %d", c.PEX),
		fmt.Sprintf("lsd %d", c.LSD), fmt.Sprintf("manual %d", c.Manual), fmt.Sprintf("incoming %d", c.Incoming),
	}
	lines = append(lines, clip(fmt.Sprintf(" Known %d: %s", t.PeersKnown, strings.Join(parts, " · ")), w))
	if m.snap.ListenAddr != "" {
		lines = append(lines, s.Dim.Render(clip(" Listening on "+m.snap.ListenAddr, w)))
	}
	return lines
}

// sparkRows draws values as a bar chart h rows tall, one column per value,
// with eighth blocks for the top of each bar.
func sparkRows(vals []int64, peak int64, h int) []string {
	const eighths = " ▁▂▃▄▅▆▇█"
	glyph := []rune(eighths)
	rows := make([]strings.Builder, h)
	for _, v := range vals {
		units := 0
		if peak > 0 {
			units = int((v*int64(h*8) + peak - 1) / peak) // round up: any traffic shows
		}
		for r := range h {
			level := units - (h-1-r)*8
			level = max(0, min(8, level))
			rows[r].WriteRune(glyph[level])
		}
	}
	out := make([]string, h)
	for i := range rows {
		out[i] = rows[i].String()
	}
	return out
}

func (m *Model) viewRates(t *swarm.TorrentSnapshot, w, h int) []string {
	return m.rateCharts(m.hist.of(t.InfoHash), "", w, (h-3)/2)
}

// rateCharts draws the down and up rates in r as two charts chartH rows
// tall, newest on the right, each under a line of figures.
func (m *Model) rateCharts(r *ring, prefix string, w, chartH int) []string {
	s := m.styles
	chartW := max(w-2, 1)
	var samples []sample
	if r != nil {
		samples = r.last(chartW)
	}
	if len(samples) < 2 {
		return []string{s.Dim.Render(clip(" Collecting rates; the graph fills in as the seconds pass.", w))}
	}
	span := samples[len(samples)-1].at.Sub(samples[0].at)
	chartH = max(chartH, 1)
	lines := make([]string, 0, 2*chartH+2)
	for _, dir := range []struct {
		name string
		st   func(string) string
		get  func(sample) int64
	}{
		{"down", func(v string) string { return s.Down.Render(v) }, func(x sample) int64 { return x.down }},
		{"up", func(v string) string { return s.Up.Render(v) }, func(x sample) int64 { return x.up }},
	} {
		vals := make([]int64, len(samples))
		var peak, sum int64
		for i, x := range samples {
			vals[i] = dir.get(x)
			peak = max(peak, vals[i])
			sum += vals[i]
		}
		label := fmt.Sprintf(" %s%-4s now %s · peak %s · mean %s · last %s", prefix, dir.name, rate(vals[len(vals)-1]), rate(peak), rate(sum/int64(len(vals))), dur(span))
		lines = append(lines, s.Bold.Render(clip(label, w)))
		pad := " " + strings.Repeat(" ", chartW-len(vals)) // newest on the right
		for _, l := range sparkRows(vals, peak, chartH) {
			lines = append(lines, pad+dir.st(l))
		}
	}
	return lines
}
