package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/shoal-bt/shoal/swarm"
)

// chromeLines are the lines every screen has besides its body: the title
// line, the status line and the help bar.
const chromeLines = 3

// bodyHeight is the number of lines the current page has for its body
// (below the detail header and tabs, on the detail page).
func (m *Model) bodyHeight() int {
	h := m.height - chromeLines
	if m.page == pageDetail {
		if t := m.torrent(m.selected); t != nil {
			h -= len(m.detailHeader(t)) + 1
		}
	} else if m.mode == modeFilter || m.filter != "" || m.stateFilter != filterAll {
		h-- // the filter line
	}
	return max(h, 1)
}

// View draws the whole screen, exactly m.height lines of at most m.width
// cells. It only formats m.snap: it never calls the engine.
func (m Model) View() string {
	midH := max(m.height-chromeLines, 1)
	var mid []string
	t := m.torrent(m.selected)
	switch {
	case m.mode == modeHelp:
		mid = m.viewHelp(midH)
	case m.mode == modeAdd:
		mid = m.viewAdd(midH)
	case m.mode == modeConfirm:
		mid = m.viewConfirm(midH)
	case m.mode == modeMagnet && t != nil:
		mid = m.viewMagnet(t, midH)
	case m.mode == modeQR && t != nil:
		mid = m.viewQR(t, midH)
	case m.page == pageDetail && t != nil:
		mid = append(m.detailHeader(t), m.tabBar(t))
		mid = append(mid, m.viewDetail(t, m.bodyHeight())...)
	default:
		mid = m.viewList(midH)
	}
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.titleLine())
	for i := range midH {
		b.WriteByte('\n')
		if i < len(mid) {
			b.WriteString(clip(mid[i], m.width))
		}
	}
	b.WriteByte('\n')
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.shortHelp())
	return b.String()
}

// shortHelp is the help bar: as many of the current bindings as fit, most
// useful first. (bubbles/help overflows when even its "…" does not fit.)
func (m *Model) shortHelp() string {
	s := m.styles
	all := m.helpFor().ShortHelp()
	// "? help" and "q quit" always show: they lead to everything else.
	var keep, tail []key.Binding
	for _, kb := range all {
		if kb.Help() == m.keys.Help.Help() || kb.Help() == m.keys.Quit.Help() {
			tail = append(tail, kb)
		} else {
			keep = append(keep, kb)
		}
	}
	tailW := 0
	for _, kb := range tail {
		tailW += ansi.StringWidth(kb.Help().Key+" "+kb.Help().Desc) + 3
	}
	var b strings.Builder
	used := 0
	for i, kb := range append(keep, tail...) {
		h := kb.Help()
		item := h.Key + " " + h.Desc
		w := ansi.StringWidth(item)
		if used > 0 {
			w += 3
		}
		budget := m.width - 1
		if i < len(keep) {
			budget -= tailW
		}
		if used+w > budget {
			if i < len(keep) {
				continue
			}
			break
		}
		if used > 0 {
			b.WriteString(s.Dim.Render(" · "))
		} else {
			b.WriteByte(' ')
			used++
		}
		b.WriteString(s.Bold.Render(h.Key) + " " + s.Dim.Render(h.Desc))
		used += w
	}
	return b.String()
}

func (m *Model) titleLine() string {
	s := m.styles
	left := " shoal"
	if t := m.torrent(m.selected); m.page == pageDetail && t != nil {
		left += " › " + m.name(t)
	}
	if m.snap == nil {
		return s.Header.Render(clip(left, m.width))
	}
	n := len(m.snap.Torrents)
	right := fmt.Sprintf("↓ %s  ↑ %s · %d swarm", rate(m.snap.DownBps), rate(m.snap.UpBps), n)
	if n != 1 {
		right += "s"
	}
	if d := m.snap.DHT; d.Enabled {
		right += " · DHT " + plural(d.Nodes, "node")
	}
	right += " "
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 2 {
		left = fit(left, max(m.width-lipgloss.Width(right)-2, 0), false)
		gap = 2
	}
	return s.Header.Render(clip(left+strings.Repeat(" ", gap)+right, m.width))
}

// statusLine shows the newest note: an engine event or the result of a
// command the user gave.
func (m *Model) statusLine() string {
	s := m.styles
	if len(m.notes) == 0 {
		if m.eventsClosed {
			return s.Err.Render(clip(" The engine has stopped.", m.width))
		}
		return s.Dim.Render(clip(" Press ? for help.", m.width))
	}
	n := m.notes[len(m.notes)-1]
	text := " " + n.at.In(m.now().Location()).Format("15:04:05") + " " + n.text
	if n.bad {
		return s.Err.Render(clip(text, m.width))
	}
	return s.OK.Render(clip(text, m.width))
}

// dialog centres a bordered box in a w×h area.
func (m *Model) dialog(h int, lines ...string) []string {
	w := min(m.width-4, 76)
	for i, l := range lines {
		lines[i] = clip(l, w-4)
	}
	box := m.styles.Dialog.Width(w - 2).Render(strings.Join(lines, "\n"))
	return strings.Split(lipgloss.Place(m.width, h, lipgloss.Center, lipgloss.Center, box), "\n")
}

func (m *Model) viewAdd(h int) []string {
	return m.dialog(h,
		m.styles.Title.Render("Add a torrent"),
		"Paste a magnet link or type the path of a .torrent file.",
		"",
		m.input.View(),
		"",
		m.styles.Dim.Render("enter add · esc cancel"))
}

func (m *Model) viewConfirm(h int) []string {
	t := m.torrent(m.removing)
	if t == nil {
		return m.dialog(h, "That torrent is gone already.", m.styles.Dim.Render("esc back"))
	}
	where := t.DataDir // absolute: the command line adds torrents by absolute path
	if where == "" {
		where = "its directory"
	}
	// The whole path, on lines of its own: a clipped one would not say
	// where the data is.
	lines := []string{m.styles.Title.Render("Remove " + m.name(t) + "?"), "", "y  remove it; its data stays in"}
	for _, part := range wrapPath(where, min(m.width-4, 76)-4-3) {
		lines = append(lines, "   "+part)
	}
	lines = append(lines, "D  remove it and "+m.styles.Err.Render("delete its data"), "n  keep it")
	return m.dialog(h, lines...)
}

// wrapPath splits p into lines of at most w runes, after a '/' where it
// can.
func wrapPath(p string, w int) []string {
	w = max(w, 8)
	var out []string
	for r := []rune(p); len(r) > 0; {
		if len(r) <= w {
			out = append(out, string(r))
			break
		}
		cut := w
		for i := w; i > w/2; i-- {
			if r[i-1] == '/' {
				cut = i
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return out
}

func (m *Model) viewMagnet(t *swarm.TorrentSnapshot, h int) []string {
	s := m.styles
	lines := []string{s.Title.Render(" Magnet link of " + displayName(t)), ""}
	if t.Magnet == "" {
		return append(lines, s.Dim.Render(" No magnet link yet."))
	}
	// Hard-wrapped with no indent, so a mouse selection copies the link
	// (terminals join the lines when pasting into most shells badly, so it
	// also stands alone on the QR screen).
	for l := range strings.SplitSeq(wrapHard(t.Magnet, m.width), "\n") {
		lines = append(lines, l)
	}
	return append(lines, "", s.Dim.Render(clip(" c copies it, or select it with the mouse. M shows a QR code; esc goes back.", m.width)))
}

// wrapHard breaks s every w cells; s is ASCII (a magnet URI is escaped).
func wrapHard(s string, w int) string {
	if w <= 0 {
		return s
	}
	var b strings.Builder
	for len(s) > w {
		b.WriteString(s[:w])
		b.WriteByte('\n')
		s = s[w:]
	}
	b.WriteString(s)
	return b.String()
}

func (m *Model) viewHelp(h int) []string {
	s := m.styles
	lines := []string{s.Title.Render(" Keys"), ""}
	full := m.helpIn(modeNormal).FullHelp() // the page's keys, not the help screen's
	for l := range strings.SplitSeq(m.help.FullHelpView(full), "\n") {
		lines = append(lines, " "+l)
	}
	lines = append(lines, "",
		s.Title.Render(" Piece map"),
		" "+cellLegend(s),
		" A cell stands for a range of pieces and shows the most telling of them.",
		" Missing pieces are brighter the more peers have them (with colour).",
		"",
		s.Title.Render(" Peer flags"),
		" D/d  we download from them / we want to but they choke us",
		" U/u  we upload to them / they want to but we choke them",
		" K/?  unchoked both ways, nobody interested · I/O incoming/outgoing",
		" E    encrypted (MSE) · S snubbed: sent nothing we asked for lately",
		"",
		s.Dim.Render(fmt.Sprintf(" Sorted by %s; showing %s swarms.", sortNames[m.sortBy], stateFilterNames[m.stateFilter])))
	return lines[:min(len(lines), h)]
}

func cellLegend(s *styles) string {
	var leg []string
	for k := range numCellKinds {
		leg = append(leg, s.Cell[k].Render(cellGlyphs[k])+" "+cellNames[k])
	}
	return strings.Join(leg, "  ")
}
