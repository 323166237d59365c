package main

import (
	"fmt"
	"time"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/tracker"
)

// The JSON lines of shoal tracker (docs/json.md).
type (
	jsonTrackerStart struct {
		Type               string   `json:"type"` // "start"
		HTTP               string   `json:"http"` // bound address; "" when off
		UDP                string   `json:"udp"`
		Announce           []string `json:"announce"`
		StatusPage         string   `json:"statusPage"`
		DHT                string   `json:"dht"` // the bootstrap node's address; "" for none
		Mode               string   `json:"mode"`
		State              string   `json:"state"`
		IntervalSeconds    float64  `json:"intervalSeconds"`
		MinIntervalSeconds float64  `json:"minIntervalSeconds"`
		PeerTTLSeconds     float64  `json:"peerTTLSeconds"`
		Numwant            int      `json:"numwant"`
		MaxNumwant         int      `json:"maxNumwant"`
		Rate               float64  `json:"rate"` // 0: no limit
		Burst              int      `json:"burst"`
		MaxTorrents        int      `json:"maxTorrents"`
		HTTPConns          int      `json:"httpConns"`
		HTTPConnsPerIP     int      `json:"httpConnsPerIP"`
	}
	jsonTrackerSummary struct {
		Type          string  `json:"type"` // "summary"
		Seconds       float64 `json:"seconds"`
		AnnouncesHTTP uint64  `json:"announcesHTTP"`
		AnnouncesUDP  uint64  `json:"announcesUDP"`
		Scrapes       uint64  `json:"scrapes"`
		Refused       uint64  `json:"refused"`
		Torrents      int64   `json:"torrents"`
		Seeders       int64   `json:"seeders"`
		Leechers      int64   `json:"leechers"`
		Error         string  `json:"error"`
	}
)

// trackerStartJSON describes the tracker as it runs: what New bound and
// the configuration with its defaults filled in, not the flags as typed.
func trackerStartJSON(s *tracker.Server, node *dht.Node) jsonTrackerStart {
	cfg := s.Config()
	announce, status := trackerURLs(s)
	out := jsonTrackerStart{
		Type: "start", Announce: announce, StatusPage: status, Mode: trackerMode(cfg), State: cfg.StateFile,
		IntervalSeconds: cfg.Interval.Seconds(), MinIntervalSeconds: cfg.MinInterval.Seconds(),
		PeerTTLSeconds: cfg.PeerTTL.Seconds(), Numwant: cfg.DefaultNumWant, MaxNumwant: cfg.MaxNumWant,
		MaxTorrents: cfg.MaxSwarms, HTTPConns: cfg.MaxHTTPConns, HTTPConnsPerIP: cfg.MaxHTTPConnsPerIP,
	}
	if ap := s.HTTPAddr(); ap.IsValid() {
		out.HTTP = ap.String()
	}
	if ap := s.UDPAddr(); ap.IsValid() {
		out.UDP = ap.String()
	}
	if node != nil {
		out.DHT = node.Addr().String()
	}
	// Config fills in a rate even when none applies; say 0, as --rate does.
	if !cfg.NoRateLimit {
		out.Rate, out.Burst = cfg.RatePerIP, cfg.BurstPerIP
	}
	return out
}

// trackerMode names the access mode as the status page does.
func trackerMode(cfg tracker.Config) string {
	allow := cfg.AllowFile != "" || cfg.TorrentsDir != ""
	switch {
	case allow && cfg.PasskeysFile != "":
		return "allow-list+passkeys"
	case allow:
		return "allow-list"
	case cfg.PasskeysFile != "":
		return "passkeys"
	}
	return "open"
}

// printTrackerSummary says what the tracker did, once it has stopped.
func printTrackerSummary(a *app, s *tracker.Server, uptime time.Duration, asJSON bool, err error) {
	req, tot := s.Requests(), s.Totals()
	if asJSON {
		out := jsonTrackerSummary{Type: "summary", Seconds: uptime.Seconds(),
			AnnouncesHTTP: req.AnnouncesHTTP, AnnouncesUDP: req.AnnouncesUDP, Scrapes: req.ScrapesHTTP + req.ScrapesUDP,
			Refused: req.Refused, Torrents: tot.Swarms, Seeders: tot.Seeders, Leechers: tot.Leechers}
		if err != nil {
			out.Error = err.Error()
		}
		a.emitJSON(out)
		return
	}
	fmt.Fprintf(a.stdout, "Tracker stopped after %v: %d announces (%d HTTP, %d UDP), %d refused requests; %d torrents, %d seeders, %d leechers.\n",
		uptime.Round(time.Second), req.AnnouncesHTTP+req.AnnouncesUDP, req.AnnouncesHTTP, req.AnnouncesUDP, req.Refused,
		tot.Swarms, tot.Seeders, tot.Leechers)
}
