package transmission

import (
	"net/url"
	"strings"

	"github.com/shoal-bt/shoal/swarm"
)

// Transmission's tracker announceState values.
const (
	trackerInactive = 0
	trackerWaiting  = 1
)

// shoal announces to every tracker of a torrent, so each gets its own tier.
func trackers(t *swarm.TorrentSnapshot) []object {
	out := make([]object, 0, len(t.Trackers))
	for i, tr := range t.Trackers {
		out = append(out, object{{"announce", tr.URL}, {"id", i}, {"scrape", ""}, {"tier", i}})
	}
	return out
}

func trackerList(t *swarm.TorrentSnapshot) string {
	var b strings.Builder
	for i, tr := range t.Trackers {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(tr.URL)
	}
	return b.String()
}

func trackerStats(t *swarm.TorrentSnapshot) []object {
	out := make([]object, 0, len(t.Trackers))
	for i, tr := range t.Trackers {
		announced := !tr.LastAnnounce.IsZero()
		result := "Success"
		if tr.LastErr != "" {
			result = tr.LastErr
		}
		if !announced {
			result = ""
		}
		state := trackerWaiting
		if t.State == swarm.StatePaused || t.State == swarm.StateError {
			state = trackerInactive
		}
		out = append(out, object{
			{"id", i}, {"tier", i}, {"announce", tr.URL}, {"host", trackerHost(tr.URL)}, {"scrape", ""},
			{"isBackup", false}, {"announceState", state},
			{"hasAnnounced", announced}, {"lastAnnounceTime", unix(tr.LastAnnounce)},
			{"lastAnnounceStartTime", unix(tr.LastAnnounce)},
			{"lastAnnounceSucceeded", announced && tr.LastErr == ""}, {"lastAnnounceTimedOut", false},
			{"lastAnnounceResult", result}, {"lastAnnouncePeerCount", tr.PeersGot},
			{"nextAnnounceTime", unix(tr.NextAnnounce)},
			{"seederCount", tr.Seeders}, {"leecherCount", tr.Leechers}, {"downloadCount", -1},
			{"hasScraped", false}, {"scrapeState", trackerInactive}, {"lastScrapeTime", 0},
			{"lastScrapeStartTime", 0}, {"lastScrapeSucceeded", false}, {"lastScrapeTimedOut", false},
			{"lastScrapeResult", ""}, {"nextScrapeTime", 0},
		})
	}
	return out
}

// trackerHost is "scheme://host:port", as Transmission shows trackers.
func trackerHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
