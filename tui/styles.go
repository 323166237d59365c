package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// styles is built once in New and shared by every view: lipgloss styles
// are cheap to use but not free to build, and View runs every second.
//
// Nothing here may carry meaning by colour alone: with NO_COLOR every style
// renders as plain text, so selection, tabs and piece states also differ in
// glyphs (see pieceGlyphs and the ▸ cursor).
type styles struct {
	Title, Dim, Bold, Err, Warn, OK lipgloss.Style
	Header, ColHeader, Selected     lipgloss.Style
	TabActive, TabInactive          lipgloss.Style
	BarDone, BarTodo                lipgloss.Style
	Down, Up                        lipgloss.Style
	Dialog                          lipgloss.Style
	State                           [6]lipgloss.Style // by swarm.State
	// Piece map cells, indexed by cellKind and, for missing pieces, by
	// availability shade (cellStyle picks).
	Cell  [numCellKinds]lipgloss.Style
	Shade [numShades]lipgloss.Style
	// cellPaint holds each cell style as raw escape codes around the glyphs:
	// a 200×60 map has thousands of runs, and Render costs microseconds.
	cellPaint [numCellKinds][numShades]paint
}

// paint is a style taken apart into what goes before and after the text.
type paint struct{ pre, post string }

func paintOf(st lipgloss.Style) paint {
	pre, post, _ := strings.Cut(st.Render("\x00"), "\x00")
	return paint{pre, post}
}

func newStyles() *styles {
	c := func(s string) lipgloss.Color { return lipgloss.Color(s) }
	s := &styles{
		Title:  lipgloss.NewStyle().Bold(true),
		Dim:    lipgloss.NewStyle().Foreground(c("8")),
		Bold:   lipgloss.NewStyle().Bold(true),
		Err:    lipgloss.NewStyle().Foreground(c("9")),
		Warn:   lipgloss.NewStyle().Foreground(c("11")),
		OK:     lipgloss.NewStyle().Foreground(c("10")),
		Header: lipgloss.NewStyle().Bold(true).Foreground(c("14")),
		// Not underlined: lipgloss underlines rune by rune, which bloats
		// every frame.
		ColHeader:   lipgloss.NewStyle().Bold(true).Foreground(c("245")),
		Selected:    lipgloss.NewStyle().Bold(true).Background(c("236")),
		TabActive:   lipgloss.NewStyle().Bold(true).Foreground(c("14")),
		TabInactive: lipgloss.NewStyle().Foreground(c("8")),
		BarDone:     lipgloss.NewStyle().Foreground(c("10")),
		BarTodo:     lipgloss.NewStyle().Foreground(c("238")),
		Down:        lipgloss.NewStyle().Foreground(c("10")),
		Up:          lipgloss.NewStyle().Foreground(c("12")),
		Dialog: lipgloss.NewStyle().Border(lipgloss.NormalBorder()).
			BorderForeground(c("11")).Padding(0, 1),
	}
	s.State = [6]lipgloss.Style{
		lipgloss.NewStyle().Foreground(c("13")), // checking
		lipgloss.NewStyle().Foreground(c("13")), // metadata
		lipgloss.NewStyle().Foreground(c("10")), // downloading
		lipgloss.NewStyle().Foreground(c("12")), // seeding
		lipgloss.NewStyle().Foreground(c("8")),  // paused
		lipgloss.NewStyle().Foreground(c("9")),  // error
	}
	s.Cell = [numCellKinds]lipgloss.Style{
		cellDone:        lipgloss.NewStyle().Foreground(c("10")),
		cellPartial:     lipgloss.NewStyle().Foreground(c("2")),
		cellInFlight:    lipgloss.NewStyle().Foreground(c("11")),
		cellMissing:     lipgloss.NewStyle().Foreground(c("12")),
		cellUnavailable: lipgloss.NewStyle().Foreground(c("9")),
		cellFailed:      lipgloss.NewStyle().Foreground(c("9")).Bold(true),
		cellSkipped:     lipgloss.NewStyle().Foreground(c("238")),
	}
	// Missing pieces get darker the fewer peers hold them.
	s.Shade = [numShades]lipgloss.Style{
		lipgloss.NewStyle().Foreground(c("60")),
		lipgloss.NewStyle().Foreground(c("67")),
		lipgloss.NewStyle().Foreground(c("75")),
		lipgloss.NewStyle().Foreground(c("117")),
	}
	for k := range numCellKinds {
		for sh := range numShades {
			st := s.Cell[k]
			if k == cellMissing {
				st = s.Shade[sh]
			}
			s.cellPaint[k][sh] = paintOf(st)
		}
	}
	return s
}

func (s *styles) state(st int) lipgloss.Style {
	if st < 0 || st >= len(s.State) {
		return s.Dim
	}
	return s.State[st]
}
