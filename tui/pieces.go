package tui

import (
	"fmt"
	"strings"

	"github.com/shoal-bt/shoal/swarm"
)

// cellKind is what one cell of the piece map shows. A cell stands for a
// range of pieces and shows the most telling state among them, in this
// order: failed, in flight, unavailable, partly done, missing, done, skipped.
type cellKind uint8

const (
	cellDone        cellKind = iota
	cellPartial              // some pieces done, some missing
	cellInFlight             // a piece is being downloaded
	cellMissing              // missing, and some connected peer has it
	cellUnavailable          // a missing piece no connected peer has
	cellFailed               // a piece failed its hash check
	cellSkipped              // in no wanted file
	numCellKinds
)

// Glyphs differ per state, so that the map reads without colour.
var cellGlyphs = [numCellKinds]string{"█", "▄", "▒", "░", "·", "x", "-"}

var cellNames = [numCellKinds]string{"done", "partial", "in flight", "missing", "no peer", "failed", "skipped"}

const numShades = 4

type cell struct {
	kind  cellKind
	shade uint8 // availability shade of missing pieces, 0 (rare) to 3
}

// pieceCells folds n pieces into cells: cell i covers pieces
// [i*n/cells, (i+1)*n/cells). It is linear in the pieces and allocates once,
// so 100,000 pieces cost well under a millisecond per frame.
func pieceCells(ps []swarm.PieceState, avail []uint8, cells int) []cell {
	n := len(ps)
	if n == 0 || cells <= 0 {
		return nil
	}
	cells = min(cells, n)
	haveAvail := len(avail) == n
	out := make([]cell, cells)
	for c := range out {
		lo, hi := c*n/cells, (c+1)*n/cells
		var done, missing, inflight, failed, unavail int
		var sum int
		for i := lo; i < hi; i++ {
			switch ps[i] {
			case swarm.PieceDone:
				done++
			case swarm.PieceInFlight:
				inflight++
			case swarm.PieceFailed:
				failed++
			case swarm.PieceMissing:
				missing++
				if haveAvail {
					sum += int(avail[i])
					if avail[i] == 0 {
						unavail++
					}
				}
			}
		}
		var k cellKind
		switch {
		case failed > 0:
			k = cellFailed
		case inflight > 0:
			k = cellInFlight
		case unavail > 0:
			k = cellUnavailable
		case missing > 0 && done > 0:
			k = cellPartial
		case missing > 0:
			k = cellMissing
		case done > 0:
			k = cellDone
		default:
			k = cellSkipped
		}
		var shade uint8
		if missing > 0 && haveAvail {
			shade = shadeOf(float64(sum) / float64(missing))
		}
		out[c] = cell{kind: k, shade: shade}
	}
	return out
}

func shadeOf(mean float64) uint8 {
	switch {
	case mean < 1.5:
		return 0
	case mean < 3:
		return 1
	case mean < 6:
		return 2
	}
	return 3
}

// viewPieces draws the map in w×h cells plus a legend, run-length styling
// each row so a frame costs a few hundred Render calls, not one per cell.
func (m *Model) viewPieces(t *swarm.TorrentSnapshot, w, h int) []string {
	s := m.styles
	if len(t.Pieces) == 0 {
		return []string{s.Dim.Render(clip(" No piece map until the metadata arrives.", w))}
	}
	legendLines := 2
	if h < 6 {
		legendLines = 1
	}
	mapH := max(h-legendLines-1, 1)
	mapW := max(w-2, 1)
	cells := pieceCells(t.Pieces, t.Availability, mapW*mapH)
	per := float64(len(t.Pieces)) / float64(len(cells))
	lines := make([]string, 0, h)
	info := fmt.Sprintf(" %d pieces of %s", len(t.Pieces), size(t.PieceLength))
	if per > 1 {
		info += fmt.Sprintf(" · one cell ≈ %.1f pieces (%s)", per, size(int64(per*float64(t.PieceLength))))
	}
	if lo, mean, hi, ok := availStats(t); ok {
		info += fmt.Sprintf(" · availability min %d mean %.1f max %d", lo, mean, hi)
	}
	lines = append(lines, s.Dim.Render(clip(info, w)))
	var b strings.Builder
	for r := 0; r*mapW < len(cells); r++ {
		b.Reset()
		b.WriteByte(' ')
		rowCells := cells[r*mapW : min((r+1)*mapW, len(cells))]
		for i := 0; i < len(rowCells); {
			j := i + 1
			for j < len(rowCells) && rowCells[j] == rowCells[i] {
				j++
			}
			c := rowCells[i]
			p := s.cellPaint[c.kind][c.shade]
			b.WriteString(p.pre)
			for range j - i {
				b.WriteString(cellGlyphs[c.kind])
			}
			b.WriteString(p.post)
			i = j
		}
		lines = append(lines, b.String())
	}
	for len(lines) < h-legendLines {
		lines = append(lines, "")
	}
	legend := " " + cellLegend(s)
	if legendLines == 2 {
		lines = append(lines, clip(legend, w),
			s.Dim.Render(clip(" missing: the brighter, the more peers have it", w)))
	} else {
		lines = append(lines, clip(legend, w))
	}
	return lines
}

// availStats summarises availability over the pieces still wanted.
func availStats(t *swarm.TorrentSnapshot) (lo int, mean float64, hi int, ok bool) {
	if len(t.Availability) != len(t.Pieces) {
		return 0, 0, 0, false
	}
	lo = 1 << 30
	n, sum := 0, 0
	for i, p := range t.Pieces {
		if p == swarm.PieceDone || p == swarm.PieceSkipped {
			continue
		}
		a := int(t.Availability[i])
		lo, hi = min(lo, a), max(hi, a)
		sum += a
		n++
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	return lo, float64(sum) / float64(n), hi, true
}
