package tracker

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// statusPage renders the swarms for people (/, readable on a phone) and
// for Prometheus (/metrics).
type statusPage struct {
	l       *logic
	metrics http.Handler
	started time.Time

	// The swarm table costs a walk over every swarm and a sort, too much to
	// redo for each of a flood of requests: it is built at most once per
	// statusTTL, by one request while the others wait for it.
	mu    sync.Mutex
	table statusTable
}

// statusTTL is how stale the status page's table may be.
const statusTTL = time.Second

type statusTable struct {
	built     time.Time
	completed uint64
	rows      []statusRow // at most maxStatusRows, LastAnnounce not yet filled in
	hidden    int
}

// maxStatusRows bounds the page for trackers with many torrents; the
// totals still count everything.
const maxStatusRows = 500

type statusRow struct {
	Name, InfoHash               string
	Seeders, Leechers, Completed int64
	LastAnnounce                 string
	last                         time.Time
}

type statusData struct {
	Host                                string
	Mode                                string
	Swarms, Seeders, Leechers           int64
	Completed                           uint64
	Rows                                []statusRow
	Hidden                              int
	Uptime                              string
	AnnouncesHTTP, AnnouncesUDP, Scrape uint64
}

var statusTmpl = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>shoal tracker</title>
<style>
body{font-family:system-ui,sans-serif;margin:1em;color:#222}
h1{font-size:1.3em}
.totals{display:flex;flex-wrap:wrap;gap:.5em 1.5em;margin:.5em 0 1em}
.totals div{font-size:.9em}.totals b{font-size:1.3em;display:block}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd}
td.n,th.n{text-align:right}
code{font-size:.85em;word-break:break-all}
.wrap{overflow-x:auto}
@media (max-width:600px){.ih{display:none}body{margin:.6em}table{font-size:.8em}th,td{padding:.3em .25em}}
</style></head><body>
<h1>shoal tracker</h1>
<p>Announce URL: <code id="announce">http://{{.Host}}/announce</code> · mode: <span id="mode">{{.Mode}}</span> · up {{.Uptime}}</p>
<div class="totals">
<div><b id="total-swarms">{{.Swarms}}</b>swarms</div>
<div><b id="total-seeders">{{.Seeders}}</b>seeders</div>
<div><b id="total-leechers">{{.Leechers}}</b>leechers</div>
<div><b id="total-completed">{{.Completed}}</b>completed</div>
<div><b>{{.AnnouncesHTTP}}/{{.AnnouncesUDP}}</b>announces HTTP/UDP</div>
</div>
{{if .Rows}}<div class="wrap"><table id="swarms">
<thead><tr><th>Name</th><th class="ih">Infohash</th><th class="n" title="seeders">Seeds</th><th class="n" title="leechers">Leech</th><th class="n" title="completed downloads">Done</th><th title="last announce">Last</th></tr></thead>
<tbody>{{range .Rows}}
<tr class="swarm" data-infohash="{{.InfoHash}}"><td class="name">{{.Name}}</td><td class="ih"><code>{{.InfoHash}}</code></td><td class="n seeders">{{.Seeders}}</td><td class="n leechers">{{.Leechers}}</td><td class="n completed">{{.Completed}}</td><td class="last">{{.LastAnnounce}}</td></tr>{{end}}
</tbody></table></div>
{{if .Hidden}}<p>and {{.Hidden}} more swarms not shown.</p>{{end}}
{{else}}<p id="empty">No swarms yet. Add the announce URL above to a torrent and start it.</p>{{end}}
</body></html>
`))

func (p *statusPage) mode() string {
	l := p.l.access.list()
	var modes []string
	if l.restricted {
		modes = append(modes, fmt.Sprintf("allow-list (%d torrents)", len(l.allowed)))
	}
	if l.passkeys != nil {
		modes = append(modes, fmt.Sprintf("passkeys (%d)", len(l.passkeys)))
	}
	if len(modes) == 0 {
		return "open"
	}
	return strings.Join(modes, ", ")
}

func (p *statusPage) serveHTML(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	tot := p.l.store.totals()
	tab := p.swarmTable(now)
	d := statusData{
		Host: r.Host, Mode: p.mode(), Swarms: tot.Swarms, Seeders: tot.Seeders, Leechers: tot.Leechers,
		Completed: tab.completed, Hidden: tab.hidden,
		Uptime:        ago(now.Sub(p.started)),
		AnnouncesHTTP: p.l.stats.announcesHTTP.Load(), AnnouncesUDP: p.l.stats.announcesUDP.Load(),
		Rows: make([]statusRow, len(tab.rows)),
	}
	for i, row := range tab.rows {
		row.LastAnnounce = "never"
		if !row.last.IsZero() {
			row.LastAnnounce = ago(now.Sub(row.last)) + " ago"
		}
		d.Rows[i] = row
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := statusTmpl.Execute(w, d); err != nil {
		p.l.cfg.Logger.Debug("Status page write", "err", err)
	}
}

// swarmTable returns the table of swarms, rebuilt if older than statusTTL.
func (p *statusPage) swarmTable(now time.Time) statusTable {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.table.built) < statusTTL {
		return p.table
	}
	list := p.l.access.list()
	var tab statusTable
	seen := make(map[InfoHash]bool)
	var rows []statusRow
	p.l.store.swarmStats(func(st SwarmStats) {
		tab.completed += st.Completed
		if list.restricted {
			seen[st.InfoHash] = true
		}
		rows = append(rows, statusRow{
			Name: list.allowed[st.InfoHash], InfoHash: st.InfoHash.String(),
			Seeders: int64(st.Seeders), Leechers: int64(st.Leechers), Completed: int64(st.Completed),
			last: st.LastAnnounce,
		})
	})
	// Listed torrents nobody has announced yet are worth seeing too.
	for ih, name := range list.allowed {
		if !seen[ih] {
			rows = append(rows, statusRow{Name: name, InfoHash: ih.String()})
		}
	}
	slices.SortFunc(rows, func(a, b statusRow) int {
		return cmp.Or(b.last.Compare(a.last), cmp.Compare(b.Seeders+b.Leechers, a.Seeders+a.Leechers),
			strings.Compare(a.Name, b.Name), strings.Compare(a.InfoHash, b.InfoHash))
	})
	if len(rows) > maxStatusRows {
		tab.hidden = len(rows) - maxStatusRows
		rows = slices.Clip(rows[:maxStatusRows])
	}
	for i := range rows {
		if rows[i].Name == "" {
			rows[i].Name = rows[i].InfoHash[:12] + "…"
		}
	}
	tab.rows, tab.built = rows, now
	p.table = tab
	return tab
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
