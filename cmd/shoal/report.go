package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/shoal-bt/shoal/swarm"
)

// reporter prints one torrent's progress without the UI: plain lines for a
// person reading a log, or JSON lines for a program.
type reporter struct {
	a     *app
	json  bool
	every time.Duration
	ih    swarm.InfoHash
	start time.Time

	mu sync.Mutex
	// finished is when the torrent was first seen verified, and received
	// what it had downloaded then: the download's own time and rate,
	// without the seeding that may follow.
	finished time.Time
	received int64
}

// observe notes when t is first seen verified.
func (r *reporter) observe(t *swarm.TorrentSnapshot) {
	if t == nil || !t.Verified {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished.IsZero() {
		r.finished, r.received = time.Now(), t.Downloaded
	}
}

// observeEvery observes the torrent until ctx ends, for when the UI rather
// than watch follows it.
func (r *reporter) observeEvery(ctx context.Context, s *swarm.Session, d time.Duration) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		r.observe(torrentOf(s.Snapshot(), r.ih))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func newReporter(a *app, f *sessionFlags, ih swarm.InfoHash) *reporter {
	every := f.progressEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	return &reporter{a: a, json: f.json, every: every, ih: ih, start: time.Now()}
}

// watch prints events and progress until done says to stop, or ctx ends.
// done sees every event of this torrent (and a nil event on each tick).
func (r *reporter) watch(ctx context.Context, s *swarm.Session, done func(ev *swarm.Event, t *swarm.TorrentSnapshot) (bool, error)) error {
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	// A first check catches torrents that were complete before we looked.
	check := time.NewTimer(200 * time.Millisecond)
	defer check.Stop()
	for {
		var ev *swarm.Event
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-s.Events():
			if e.InfoHash != r.ih {
				continue
			}
			r.event(e)
			ev = &e
		case <-tick.C:
			r.progress(s.Snapshot())
		case <-check.C:
			check.Reset(time.Second)
		}
		t := torrentOf(s.Snapshot(), r.ih)
		if t == nil {
			continue
		}
		r.observe(t)
		if stop, err := done(ev, t); stop || err != nil {
			r.drain(s)
			return err
		}
	}
}

// drain prints this torrent's events already waiting: a torrent complete
// at once (its files were all here) is done before watch has read them.
func (r *reporter) drain(s *swarm.Session) {
	for {
		select {
		case e := <-s.Events():
			if e.InfoHash == r.ih {
				r.event(e)
			}
		default:
			return
		}
	}
}

func torrentOf(snap *swarm.Snapshot, ih swarm.InfoHash) *swarm.TorrentSnapshot {
	if snap == nil {
		return nil
	}
	for i := range snap.Torrents {
		if snap.Torrents[i].InfoHash == ih {
			return &snap.Torrents[i]
		}
	}
	return nil
}

type jsonEvent struct {
	Type     string `json:"type"`
	Time     string `json:"time"`
	Event    string `json:"event"`
	InfoHash string `json:"infohash"`
	Name     string `json:"name"`
	Peer     string `json:"peer"`
	Msg      string `json:"msg"`
	// already-had only: wanted files whole before fetching, of how many,
	// their bytes, and how many of them were put in place from elsewhere.
	Files   *int   `json:"files,omitempty"`
	OfFiles *int   `json:"ofFiles,omitempty"`
	Bytes   *int64 `json:"bytes,omitempty"`
	Reused  *int   `json:"reused,omitempty"`
}

func (r *reporter) event(e swarm.Event) {
	if r.json {
		je := jsonEvent{Type: "event", Time: e.Time.UTC().Format(time.RFC3339Nano), Event: e.Kind.String(),
			InfoHash: hex.EncodeToString(e.InfoHash[:]), Name: e.Name, Peer: e.Peer, Msg: e.Msg}
		if h := e.Had; h != nil {
			je.Files, je.OfFiles, je.Bytes, je.Reused = &h.Files, &h.OfFiles, &h.Bytes, &h.Reused
		}
		r.emit(je)
		return
	}
	line := fmt.Sprintf("%s %-13s %s", e.Time.Format("15:04:05"), e.Kind, e.Name)
	if e.Peer != "" {
		line += " peer " + e.Peer
	}
	if e.Msg != "" {
		line += ": " + e.Msg
	}
	fmt.Fprintln(r.a.stdout, line)
}

type jsonProgress struct {
	Type       string  `json:"type"`
	Time       string  `json:"time"`
	InfoHash   string  `json:"infohash"`
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Progress   float64 `json:"progress"`
	DoneBytes  int64   `json:"doneBytes"`
	Wanted     int64   `json:"wantedBytes"`
	DownBps    int64   `json:"downBps"`
	UpBps      int64   `json:"upBps"`
	Peers      int     `json:"peers"`
	Seeds      int     `json:"seeds"`
	Stalled    string  `json:"stalled"`
	Downloaded int64   `json:"downloaded"`
	Uploaded   int64   `json:"uploaded"`
	// While fetching a magnet's metadata: how the search goes.
	DHTNodes      int `json:"dhtNodes"`
	PeersKnown    int `json:"peersKnown"`
	MetadataHave  int `json:"metadataHave"`
	MetadataTotal int `json:"metadataTotal"`
	// Then, for a v2-only torrent without them: files whose piece layer
	// arrived, of how many.
	LayersHave  int `json:"layersHave"`
	LayersTotal int `json:"layersTotal"`
	// While checking data on disk: pieces hashed, of how many.
	CheckedPieces int `json:"checkedPieces"`
	CheckPieces   int `json:"checkPieces"`
}

func (r *reporter) progress(snap *swarm.Snapshot) {
	t := torrentOf(snap, r.ih)
	if t == nil {
		return
	}
	if r.json {
		r.emit(jsonProgress{Type: "progress", Time: snap.Taken.UTC().Format(time.RFC3339Nano),
			InfoHash: hex.EncodeToString(t.InfoHash[:]), Name: t.Name, State: t.State.String(),
			Progress: t.Progress(), DoneBytes: t.DoneBytes, Wanted: t.WantedBytes, DownBps: t.DownBps,
			UpBps: t.UpBps, Peers: t.PeersConnected, Seeds: t.Seeds, Stalled: t.Stalled,
			Downloaded: t.Downloaded, Uploaded: t.Uploaded, DHTNodes: snap.DHT.Nodes, PeersKnown: t.PeersKnown,
			MetadataHave: t.MetadataHave, MetadataTotal: t.MetadataTotal, LayersHave: t.LayersHave, LayersTotal: t.LayersTotal,
			CheckedPieces: t.CheckDone, CheckPieces: t.CheckTotal})
		return
	}
	var line string
	if t.State == swarm.StateMetadata {
		// Until the info dict arrives there is no progress to show, only
		// how the search goes.
		got := fmt.Sprintf("metadata %d/%d pieces", t.MetadataHave, t.MetadataTotal)
		if t.LayersTotal > 0 {
			got = fmt.Sprintf("piece layers %d/%d files", t.LayersHave, t.LayersTotal)
		}
		line = fmt.Sprintf("%s %s: DHT %s, %d peers found, %d connected, %s",
			snap.Taken.Format("15:04:05"), t.State, plural(snap.DHT.Nodes, "node"), t.PeersKnown, t.PeersConnected, got)
	} else if t.State == swarm.StateChecking {
		line = fmt.Sprintf("%s %s data on disk", snap.Taken.Format("15:04:05"), t.State)
		if t.CheckTotal > 0 {
			line += fmt.Sprintf(": %5.1f%%  %d/%d pieces", 100*t.CheckProgress(), t.CheckDone, t.CheckTotal)
		}
	} else {
		line = fmt.Sprintf("%s %-11s %5.1f%%  %s/%s  down %s/s  up %s/s  peers %d (%d seeds)",
			snap.Taken.Format("15:04:05"), t.State, 100*t.Progress(),
			humanize.IBytes(uint64(t.DoneBytes)), humanize.IBytes(uint64(t.WantedBytes)),
			humanize.IBytes(uint64(t.DownBps)), humanize.IBytes(uint64(t.UpBps)), t.PeersConnected, t.Seeds)
		if snap.DHT.Enabled && !t.Private {
			line += "  DHT " + plural(snap.DHT.Nodes, "node")
		}
	}
	if t.Stalled != "" {
		line += "  stalled: " + t.Stalled
	}
	fmt.Fprintln(r.a.stdout, line)
}

type jsonPeer struct {
	Addr       string `json:"addr"`
	Downloaded int64  `json:"downloaded"`
	Uploaded   int64  `json:"uploaded"`
	Banned     bool   `json:"banned"`
}

// jsonWebSeed is one web seed's account in the summary.
type jsonWebSeed struct {
	URL        string `json:"url"`
	Downloaded int64  `json:"downloaded"`
	State      string `json:"state"` // active, backing off, dropped
	Err        string `json:"error"` // why it backs off or was dropped
}

type jsonSummary struct {
	Type       string `json:"type"`
	InfoHash   string `json:"infohash"`
	Name       string `json:"name"`
	State      string `json:"state"`
	Complete   bool   `json:"complete"`
	Size       int64  `json:"size"`
	Downloaded int64  `json:"downloaded"`
	Uploaded   int64  `json:"uploaded"`
	Wasted     int64  `json:"wasted"`
	// Seconds and AvgDownBps are the download's own: from the start until
	// it was verified (or the end, if it never was), without seeding.
	Seconds        float64       `json:"seconds"`
	AvgDownBps     int64         `json:"avgDownBps"`
	SeedingSeconds float64       `json:"seedingSeconds"`
	Interrupted    bool          `json:"interrupted"`
	Peers          []jsonPeer    `json:"peers"`
	WebSeeds       []jsonWebSeed `json:"webSeeds"`
	Err            string        `json:"error"` // "" unless it failed
}

// summary prints the final account: totals and, per peer, the bytes
// received from it and sent to it.
func (r *reporter) summary(snap *swarm.Snapshot, runErr error) {
	t := torrentOf(snap, r.ih)
	if t == nil {
		return
	}
	r.observe(t)
	end, received := time.Now(), t.Downloaded
	r.mu.Lock()
	var seeding float64
	if !r.finished.IsZero() {
		seeding = end.Sub(r.finished).Seconds()
		end, received = r.finished, r.received
	}
	r.mu.Unlock()
	secs := end.Sub(r.start).Seconds()
	s := jsonSummary{Type: "summary", InfoHash: hex.EncodeToString(t.InfoHash[:]), Name: t.Name,
		State: t.State.String(), Complete: t.WantedBytes > 0 && t.DoneBytes == t.WantedBytes, Size: t.SizeBytes,
		Downloaded: t.Downloaded, Uploaded: t.Uploaded, Wasted: t.Wasted, Seconds: secs,
		AvgDownBps: int64(float64(received) / max(secs, 1e-3)), SeedingSeconds: seeding, Peers: []jsonPeer{},
		WebSeeds: []jsonWebSeed{}}
	for _, p := range t.PeerTotals {
		s.Peers = append(s.Peers, jsonPeer{Addr: p.Addr, Downloaded: p.Downloaded, Uploaded: p.Uploaded, Banned: p.Banned})
	}
	for _, w := range t.WebSeeds {
		s.WebSeeds = append(s.WebSeeds, jsonWebSeed{URL: w.URL, Downloaded: w.Downloaded, State: w.State.String(), Err: w.Err})
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		s.Interrupted = true // the user's choice, not an error
	case runErr != nil:
		s.Err = runErr.Error()
	}
	if r.json {
		r.a.emitJSON(s)
		return
	}
	line := fmt.Sprintf("%s: %s, received %s in %.1fs (%s/s), sent %s", t.Name, t.State,
		humanize.IBytes(uint64(received)), secs, humanize.IBytes(uint64(s.AvgDownBps)), humanize.IBytes(uint64(t.Uploaded)))
	if seeding > 0 {
		line += fmt.Sprintf("; seeded for %.1fs", seeding)
	}
	if s.Interrupted {
		line += "; stopped by the user"
	}
	fmt.Fprintln(r.a.stdout, line)
	for _, p := range s.Peers {
		if p.Downloaded == 0 && p.Uploaded == 0 && !p.Banned {
			continue // a connection that carried nothing, such as a duplicate
		}
		flag := ""
		if p.Banned {
			flag = "  (banned)"
		}
		fmt.Fprintf(r.a.stdout, "  peer %-22s received %10s  sent %10s%s\n", p.Addr,
			humanize.IBytes(uint64(p.Downloaded)), humanize.IBytes(uint64(p.Uploaded)), flag)
	}
	for _, w := range s.WebSeeds {
		flag := ""
		if w.State != swarm.WebSeedActive.String() {
			flag = fmt.Sprintf("  (%s: %s)", w.State, w.Err)
		}
		fmt.Fprintf(r.a.stdout, "  web seed %s received %s%s\n", w.URL, humanize.IBytes(uint64(w.Downloaded)), flag)
	}
}

// jsonStart is the first line of get and seed with --json.
type jsonStart struct {
	Type     string `json:"type"`    // "start"
	Command  string `json:"command"` // "get", "seed" or "stream"
	InfoHash string `json:"infohash"`
	Name     string `json:"name"` // "" for a magnet link without dn= until its metadata arrives
	Dir      string `json:"dir"`  // absolute: the folder that holds Name
	Listen   string `json:"listen"`
	Files    int    `json:"files"` // 0 while unknown
}

// jsonMagnet is how seed --json says what others fetch.
type jsonMagnet struct {
	Type           string `json:"type"` // "magnet"
	InfoHash       string `json:"infohash"`
	Magnet         string `json:"magnet"`
	MagnetWithPeer string `json:"magnetWithPeer"` // with x.pe= naming this seed; "" when no address is known
	Torrent        string `json:"torrent"`        // absolute path of the .torrent
}

// plural says "1 node", "0 nodes", "5 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func nameOf(src source) string {
	if src.torrent != nil {
		return src.torrent.Info.Name
	}
	return src.magnet.Name
}

// absPath is path made absolute for scripts, or path itself if it cannot be.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func (r *reporter) emit(v any) { r.a.emitJSON(v) }

// emitJSON prints v as one line of JSON, without HTML escaping: scripts
// read magnet links and paths, and "\u0026" in place of "&" breaks them.
func (a *app) emitJSON(v any) {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
