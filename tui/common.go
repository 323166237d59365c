package tui

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/shoal-bt/shoal/swarm"
)

// fit pads or truncates s (which may hold ANSI styles) to exactly w cells.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// clip cuts every line of s to w cells; the renderer would wrap them
// otherwise and push the help bar off the screen.
func clip(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// size prints bytes in IEC units with at most three digits, so columns
// stay narrow: "999 KiB" becomes "1.0 MiB", not "1000 KiB".
func size(n int64) string {
	if n <= 0 {
		return "-"
	}
	if n < 1000 {
		return humanize.IBytes(uint64(n))
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	x := float64(n) / 1024
	u := 0
	for x >= 999.5 && u < len(units)-1 {
		x /= 1024
		u++
	}
	if x < 9.95 {
		return fmt.Sprintf("%.1f %s", x, units[u])
	}
	return fmt.Sprintf("%.0f %s", x, units[u])
}

func rate(bps int64) string {
	if bps <= 0 {
		return "-"
	}
	return size(bps) + "/s"
}

// joinFit joins parts with " · ", leaving out the trailing parts that would
// not fit in w cells: better a shorter line than one cut mid-word.
func joinFit(w int, parts ...string) string {
	var b strings.Builder
	used := 0
	for i, p := range parts {
		pw := ansi.StringWidth(p)
		if i > 0 {
			pw += 3
		}
		if used+pw > w && i > 0 {
			break
		}
		if i > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(p)
		used += pw
	}
	return b.String()
}

// dur prints a duration in at most two units: "3h05m", "4m10s", "12s".
func dur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	d = d.Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func eta(d time.Duration) string {
	if d < 0 {
		return "∞"
	}
	if d == 0 {
		return "-"
	}
	return dur(d)
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if d := now.Sub(t); d >= 0 {
		return dur(d) + " ago"
	}
	return "in " + dur(t.Sub(now))
}

func until(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if d := t.Sub(now); d > 0 {
		return "in " + dur(d)
	}
	return "now"
}

// plural says "1 node", "0 nodes", "5 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func pct(f float64) string {
	if f >= 1 {
		return "100%"
	}
	// Never round 99.6% up to 100%: a user reads "100%" as "done".
	return fmt.Sprintf("%d%%", int(f*100))
}

func shortHash(ih swarm.InfoHash) string { return hex.EncodeToString(ih[:4]) }

func priorityName(p swarm.Priority) string {
	switch {
	case p <= swarm.PrioritySkip:
		return "skip"
	case p >= swarm.PriorityHigh:
		return "high"
	}
	return "normal"
}

// bar draws a w-cell progress bar; the empty part uses a different glyph so
// it reads without colour.
func (m *Model) bar(f float64, w int, plain bool) string {
	if w <= 0 {
		return ""
	}
	f = max(0, min(1, f))
	n := int(f * float64(w))
	if plain {
		return strings.Repeat("█", n) + strings.Repeat("░", w-n)
	}
	var done, todo string
	if n > 0 {
		done = m.styles.BarDone.Render(strings.Repeat("█", n))
	}
	if n < w {
		todo = m.styles.BarTodo.Render(strings.Repeat("░", w-n))
	}
	return done + todo
}

// column is one column of a table. Columns with a higher drop number go
// first when the terminal is narrow; the flex column takes what is left.
type column struct {
	title string
	width int
	right bool
	drop  int // 0: never dropped
	flex  bool
	maxW  int // for the flex column: wider than this only wastes space
}

// layout returns each column's width for a table w cells wide (0 for a
// dropped column), keeping the flex column at least minFlex wide.
func layout(cols []column, w, minFlex int) []int {
	widths := make([]int, len(cols))
	for {
		used, shown, flex := 0, 0, -1
		worst, worstDrop := -1, 0
		for i, c := range cols {
			if c.drop < 0 {
				continue // already dropped
			}
			widths[i] = c.width
			shown++
			if c.flex {
				flex = i
			} else {
				used += c.width
			}
			if c.drop > worstDrop {
				worst, worstDrop = i, c.drop
			}
		}
		used += shown - 1 // one space between columns
		if flex < 0 || w-used >= minFlex || worst < 0 {
			if flex >= 0 {
				widths[flex] = max(w-used, 1)
				if mw := cols[flex].maxW; mw > 0 {
					widths[flex] = min(widths[flex], mw)
				}
			}
			for i, c := range cols {
				if c.drop < 0 {
					widths[i] = 0
				}
			}
			return widths
		}
		cols = append([]column(nil), cols...)
		cols[worst].drop = -1
	}
}

// row joins cells into one line using widths from layout.
func row(cols []column, widths []int, cells []string) string {
	var b strings.Builder
	first := true
	for i, c := range cols {
		if widths[i] == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(fit(cells[i], widths[i], c.right))
	}
	return b.String()
}

func headerRow(cols []column) []string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.title
	}
	return cells
}

// displayName is the torrent's name, or its short infohash until a magnet
// without dn= has its metadata.
// name is displayName, with a short infohash when another torrent has the
// same name, so that two of them can be told apart.
func (m *Model) name(t *swarm.TorrentSnapshot) string {
	if m.sameName[t.Name] {
		return t.Name + " (" + shortHash(t.InfoHash) + ")"
	}
	return displayName(t)
}

func displayName(t *swarm.TorrentSnapshot) string {
	if t.Name != "" {
		return t.Name
	}
	return shortHash(t.InfoHash) + "…"
}
