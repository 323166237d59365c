package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/shoal-bt/shoal/swarm"
)

type sortKey int

const (
	sortAdded sortKey = iota
	sortName
	sortSize
	sortProgress
	sortState
	sortDown
	sortUp
	sortPeers
	sortRatio
	sortETA
	numSortKeys
)

var sortNames = [numSortKeys]string{"added", "name", "size", "progress", "state", "down", "up", "peers", "ratio", "eta"}

// defaultDesc: rates, sizes and the like are most useful biggest first.
func (k sortKey) defaultDesc() bool {
	switch k {
	case sortSize, sortDown, sortUp, sortPeers, sortRatio:
		return true
	}
	return false
}

type stateFilter int

const (
	filterAll stateFilter = iota
	filterActive
	filterDownloading
	filterSeeding
	filterPaused
	filterStalled
	filterError
	numStateFilters
)

var stateFilterNames = [numStateFilters]string{"all", "active", "downloading", "seeding", "paused", "stalled", "error"}

func (f stateFilter) keep(t *swarm.TorrentSnapshot) bool {
	switch f {
	case filterActive:
		return t.DownBps > 0 || t.UpBps > 0
	case filterDownloading:
		return t.State == swarm.StateDownloading || t.State == swarm.StateMetadata || t.State == swarm.StateChecking
	case filterSeeding:
		return t.State == swarm.StateSeeding
	case filterPaused:
		return t.State == swarm.StatePaused
	case filterStalled:
		return t.Stall != swarm.StallNone
	case filterError:
		return t.State == swarm.StateError
	}
	return true
}

// visible lists the indexes into m.snap.Torrents that the list shows, in
// order. It copies: a published Snapshot is never reordered in place.
func (m *Model) visible() []int {
	if m.snap == nil {
		return nil
	}
	ts := m.snap.Torrents
	out := make([]int, 0, len(ts))
	needle := strings.ToLower(m.filter)
	for i := range ts {
		if !m.stateFilter.keep(&ts[i]) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(displayName(&ts[i])), needle) {
			continue
		}
		out = append(out, i)
	}
	by := func(a, b int) int {
		x, y := &ts[a], &ts[b]
		switch m.sortBy {
		case sortName:
			return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
		case sortSize:
			return cmp.Compare(x.SizeBytes, y.SizeBytes)
		case sortProgress:
			return cmp.Compare(x.Progress(), y.Progress())
		case sortState:
			return cmp.Compare(x.State, y.State)
		case sortDown:
			return cmp.Compare(x.DownBps, y.DownBps)
		case sortUp:
			return cmp.Compare(x.UpBps, y.UpBps)
		case sortPeers:
			return cmp.Compare(x.PeersConnected, y.PeersConnected)
		case sortRatio:
			return cmp.Compare(x.Ratio(), y.Ratio())
		case sortETA:
			// Unknown ETAs (-1) last.
			return cmp.Compare(uint64(x.ETA), uint64(y.ETA))
		}
		return x.AddedAt.Compare(y.AddedAt)
	}
	slices.SortStableFunc(out, func(a, b int) int {
		c := by(a, b)
		if m.sortDesc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a, b)
		}
		return c
	})
	return out
}

// cursor is the position of the selected torrent in vis, or 0 if it is not
// there, or -1 if vis is empty.
func (m *Model) cursor(vis []int) int {
	for i, ti := range vis {
		if m.snap.Torrents[ti].InfoHash == m.selected {
			return i
		}
	}
	if len(vis) == 0 {
		return -1
	}
	return 0
}

// why is the one-line diagnosis of a torrent that is not moving.
func why(t *swarm.TorrentSnapshot) string {
	if t.State == swarm.StateError && t.Err != "" {
		return t.Err
	}
	return t.Stalled
}

func listRowHeight(t *swarm.TorrentSnapshot) int {
	if why(t) != "" {
		return 2
	}
	return 1
}

// clamp keeps scroll offsets such that the cursor is on screen.
func (m *Model) clamp() {
	if m.snap == nil {
		return
	}
	vis := m.visible()
	cur := m.cursor(vis)
	if cur >= 0 {
		m.selected = m.snap.Torrents[vis[cur]].InfoHash
	}
	rows := m.listRows()
	m.listTop = max(0, min(m.listTop, cur))
	for m.listTop < cur {
		h := 0
		for i := m.listTop; i <= cur; i++ {
			h += listRowHeight(&m.snap.Torrents[vis[i]])
		}
		if h <= rows {
			break
		}
		m.listTop++
	}
	if t := m.torrent(m.selected); t != nil && m.page == pageDetail {
		rows := max(m.bodyHeight()-1, 1)
		m.fileCur = max(0, min(m.fileCur, len(t.Files)-1))
		m.fileTop = max(0, min(m.fileTop, m.fileCur))
		if m.fileCur >= m.fileTop+rows {
			m.fileTop = m.fileCur - rows + 1
		}
		m.peerTop = max(0, min(m.peerTop, len(t.Peers)-m.peerRows(t)))
	}
}

// listRows is how many lines the list has for torrents.
func (m *Model) listRows() int { return max(m.bodyHeight()-1, 1) }

var listCols = []column{
	{title: "Name", flex: true},
	{title: "Size", width: 8, right: true, drop: 4},
	{title: "Progress", width: 13},
	{title: "State", width: 11},
	{title: "Down", width: 9, right: true},
	{title: "Up", width: 9, right: true, drop: 2},
	{title: "Peers", width: 7, right: true, drop: 3},
	{title: "Seeds", width: 5, right: true, drop: 6},
	{title: "Ratio", width: 5, right: true, drop: 5},
	{title: "ETA", width: 6, right: true, drop: 1},
}

// sortCol maps a sort key to the list column that shows it.
var sortCol = map[sortKey]int{sortName: 0, sortSize: 1, sortProgress: 2, sortState: 3,
	sortDown: 4, sortUp: 5, sortPeers: 6, sortRatio: 8, sortETA: 9}

func (m *Model) viewList(h int) []string {
	s := m.styles
	w := m.width
	lines := make([]string, 0, h)
	if m.mode == modeFilter || m.filter != "" || m.stateFilter != filterAll {
		info := fmt.Sprintf(" show %s (f)", stateFilterNames[m.stateFilter])
		if m.mode == modeFilter {
			// Not m.input.View(): that pads to the add dialog's width.
			info += " · filter: " + m.filter + "█"
		} else if m.filter != "" {
			info += fmt.Sprintf(" · filter %q · esc clears", m.filter)
		}
		lines = append(lines, clip(info, w))
		h--
	}
	cols := listCols
	widths := layout(cols, w-2, 16)
	head := headerRow(cols)
	arrow := "▴"
	if m.sortDesc {
		arrow = "▾"
	}
	if c, ok := sortCol[m.sortBy]; ok {
		head[c] += arrow
	} else {
		head[0] += " (by " + sortNames[m.sortBy] + arrow + ")"
	}
	lines = append(lines, s.ColHeader.Render(fit("  "+row(cols, widths, head), w, false)))
	vis := m.visible()
	if len(vis) == 0 {
		msg := "No torrents yet. Press a to add a magnet link or a .torrent file."
		if m.snap != nil && len(m.snap.Torrents) > 0 {
			msg = "No torrent matches the filter. Press esc to clear it."
		} else if m.snap == nil {
			msg = "Waiting for the engine…"
		}
		return append(lines, "", s.Dim.Render(clip("  "+msg, w)))
	}
	cur := m.cursor(vis)
	top := max(0, min(m.listTop, len(vis)-1))
	for i := top; i < len(vis) && len(lines) < h; i++ {
		t := &m.snap.Torrents[vis[i]]
		sel := i == cur
		// The selected row is one style throughout: inner styles would
		// reset its background part of the way along.
		paint := func(st lipgloss.Style, v string) string {
			if sel {
				return v
			}
			return st.Render(v)
		}
		cells := []string{
			m.name(t),
			size(t.SizeBytes),
			m.progressCell(t, widths[2], sel),
			paint(s.state(int(t.State)), stateLabel(t.State)),
			paint(s.Down, rate(t.DownBps)),
			paint(s.Up, rate(t.UpBps)),
			fmt.Sprintf("%d/%d", t.PeersConnected, t.PeersKnown),
			strconv.Itoa(t.Seeds),
			fmt.Sprintf("%.2f", t.Ratio()),
			eta(t.ETA),
		}
		if t.State == swarm.StateSeeding || t.State == swarm.StatePaused {
			cells[9] = "-"
		}
		line := row(cols, widths, cells)
		if sel {
			line = s.Selected.Render("▸ " + line)
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
		if d := why(t); d != "" && len(lines) < h {
			st := s.Warn
			if t.State == swarm.StateError {
				st = s.Err
			}
			lines = append(lines, st.Render(clip("    ↳ "+d, w)))
		}
	}
	// Spare lines at the bottom show the session's rates: the list then
	// answers "is anything moving?" at a glance.
	if free := h - len(lines); free >= 9 {
		if charts := m.rateCharts(m.hist.session, "all ", w, min((free-3)/2, 4)); len(charts) > 1 {
			for len(lines) < h-len(charts) {
				lines = append(lines, "")
			}
			lines = append(lines, charts...)
		}
	}
	return lines
}

// stateLabel is State.String, short enough for the list's column.
func stateLabel(st swarm.State) string {
	if st == swarm.StateMetadata {
		return "metadata"
	}
	return st.String()
}

// progressCell is a bar with the percentage, or what stands in for one
// before there is anything to measure.
func (m *Model) progressCell(t *swarm.TorrentSnapshot, w int, plain bool) string {
	if t.State == swarm.StateMetadata && t.Pieces == nil {
		// The bar shows the info dict coming in, not the content.
		var f float64
		if t.MetadataTotal > 0 {
			f = float64(t.MetadataHave) / float64(t.MetadataTotal)
		}
		return m.bar(f, w-5, plain) + " " + fit("info", 4, true)
	}
	if t.State == swarm.StateChecking {
		// The bar shows the data on disk being hashed.
		return m.bar(t.CheckProgress(), w-5, plain) + " " + fit(pct(t.CheckProgress()), 4, true)
	}
	p := pct(t.Progress())
	return m.bar(t.Progress(), w-5, plain) + " " + fit(p, 4, true)
}
