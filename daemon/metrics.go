package daemon

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoal-bt/shoal/internal/metrics"
	"github.com/shoal-bt/shoal/swarm"
)

// MetricsHandler serves /metrics: the daemon's totals and per-torrent
// figures in the Prometheus text format, read from the engine's last
// snapshot at scrape time (a scrape never waits on the engine), plus the
// Go runtime's go_* and process_* metrics.
//
// Byte counters count this run of the daemon, for the torrents it has
// now: a removed torrent's bytes leave the totals, which Prometheus reads
// as a counter reset.
func (d *Daemon) MetricsHandler() http.Handler {
	r := metrics.NewRegistry()
	if err := r.Register(snapshotCollector{d}); err != nil {
		panic(err) // a fixed set of names: a clash is a programming error
	}
	return r.Handler()
}

var (
	mDownBps  = prometheus.NewDesc("shoal_download_bytes_per_second", "Payload download rate of all torrents.", nil, nil)
	mUpBps    = prometheus.NewDesc("shoal_upload_bytes_per_second", "Payload upload rate of all torrents.", nil, nil)
	mDown     = prometheus.NewDesc("shoal_downloaded_bytes_total", "Payload bytes received this run.", nil, nil)
	mUp       = prometheus.NewDesc("shoal_uploaded_bytes_total", "Payload bytes sent this run.", nil, nil)
	mWasted   = prometheus.NewDesc("shoal_wasted_bytes_total", "Bytes discarded this run: failed hashes, duplicates, unrequested.", nil, nil)
	mPeers    = prometheus.NewDesc("shoal_peers", "Connected peers.", nil, nil)
	mKnown    = prometheus.NewDesc("shoal_peers_known", "Peer addresses known and not connected.", nil, nil)
	mBanned   = prometheus.NewDesc("shoal_peers_banned", "Peers banned (bad data, protocol abuse), over all torrents.", nil, nil)
	mBlocked  = prometheus.NewDesc("shoal_peers_blocked_total", "Connections the IP blocklist refused: dials not made, accepts closed.", nil, nil)
	mTorrents = prometheus.NewDesc("shoal_torrents", "Torrents by state.", []string{"state"}, nil)
	mDHT      = prometheus.NewDesc("shoal_dht_nodes", "Nodes in the DHT routing table.", nil, nil)

	perTorrent = []string{"infohash", "name"}
	mTDown     = prometheus.NewDesc("shoal_torrent_downloaded_bytes_total", "Payload bytes received this run, per torrent.", perTorrent, nil)
	mTUp       = prometheus.NewDesc("shoal_torrent_uploaded_bytes_total", "Payload bytes sent this run, per torrent.", perTorrent, nil)
	mTWasted   = prometheus.NewDesc("shoal_torrent_wasted_bytes_total", "Bytes discarded this run, per torrent.", perTorrent, nil)
	mTDone     = prometheus.NewDesc("shoal_torrent_done_bytes", "Verified wanted bytes on disk, per torrent.", perTorrent, nil)
	mTWanted   = prometheus.NewDesc("shoal_torrent_wanted_bytes", "Bytes in files not skipped, per torrent.", perTorrent, nil)
	mTPeers    = prometheus.NewDesc("shoal_torrent_peers", "Connected peers, per torrent.", perTorrent, nil)
)

var allStates = []swarm.State{swarm.StateChecking, swarm.StateMetadata, swarm.StateDownloading,
	swarm.StateSeeding, swarm.StatePaused, swarm.StateError}

// snapshotCollector turns the engine's snapshot into metrics at scrape
// time. It is "unchecked" (Describe sends nothing), as the per-torrent
// series come and go with the torrents.
type snapshotCollector struct{ d *Daemon }

func (snapshotCollector) Describe(chan<- *prometheus.Desc) {}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.d.s.Snapshot()
	if snap == nil {
		snap = &swarm.Snapshot{}
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	var down, up, wasted int64
	var peers, known, banned int
	byState := make(map[swarm.State]int)
	for i := range snap.Torrents {
		t := &snap.Torrents[i]
		down, up, wasted = down+t.Downloaded, up+t.Uploaded, wasted+t.Wasted
		peers, known, banned = peers+t.PeersConnected, known+t.PeersKnown, banned+len(t.Banned)
		byState[t.State]++
		l := []string{hexOf(t.InfoHash), t.Name}
		counter(mTDown, float64(t.Downloaded), l...)
		counter(mTUp, float64(t.Uploaded), l...)
		counter(mTWasted, float64(t.Wasted), l...)
		gauge(mTDone, float64(t.DoneBytes), l...)
		gauge(mTWanted, float64(t.WantedBytes), l...)
		gauge(mTPeers, float64(t.PeersConnected), l...)
	}
	gauge(mDownBps, float64(snap.DownBps))
	gauge(mUpBps, float64(snap.UpBps))
	counter(mDown, float64(down))
	counter(mUp, float64(up))
	counter(mWasted, float64(wasted))
	gauge(mPeers, float64(peers))
	gauge(mKnown, float64(known))
	gauge(mBanned, float64(banned))
	counter(mBlocked, float64(c.d.blockedTotal()))
	gauge(mDHT, float64(snap.DHT.Nodes))
	for _, s := range allStates {
		gauge(mTorrents, float64(byState[s]), s.String())
	}
}
