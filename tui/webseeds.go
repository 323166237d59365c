package tui

import (
	"fmt"

	"github.com/shoal-bt/shoal/swarm"
)

var webSeedCols = []column{
	{title: "Web seed", flex: true},
	{title: "Status", width: 36},
	{title: "Received", width: 9, right: true, drop: 2},
	{title: "Rate", width: 10, right: true, drop: 1},
}

// webSeedLines shows the torrent's web seeds (BEP 19) in at most room
// lines: what each gave, and why one backs off or was dropped.
func (m *Model) webSeedLines(t *swarm.TorrentSnapshot, w, room int) []string {
	if len(t.WebSeeds) == 0 || room < 2 {
		return nil
	}
	s := m.styles
	now := m.now()
	widths := layout(webSeedCols, w-1, 20)
	lines := []string{"", s.ColHeader.Render(fit(" "+row(webSeedCols, widths, headerRow(webSeedCols)), w, false))}
	room -= 2
	for i, ws := range t.WebSeeds {
		if i == room-1 && len(t.WebSeeds) > room {
			lines = append(lines, s.Dim.Render(fmt.Sprintf(" … and %d more", len(t.WebSeeds)-i)))
			break
		}
		var status string
		switch ws.State {
		case swarm.WebSeedDropped:
			status = s.Err.Render("dropped: " + ws.Err)
		case swarm.WebSeedBackoff:
			status = s.Err.Render(fmt.Sprintf("retry %s: %s", until(now, ws.RetryAt), ws.Err))
		case swarm.WebSeedActive:
			status = s.OK.Render("ok")
			if ws.Downloaded == 0 && ws.Requests == 0 {
				status = s.Dim.Render("not used yet")
			}
		}
		lines = append(lines, " "+row(webSeedCols, widths, []string{ws.URL, status, size(ws.Downloaded), rate(ws.DownBps)}))
	}
	return lines
}
