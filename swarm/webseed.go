package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Web seeds (BEP 19): plain HTTP servers holding the torrent's files, a
// source beside peers. Each is a picker peer that holds every piece and
// never chokes; it is never in t.peers. The loop picks whole pieces for it
// (pieces.Picker.PickRun), a worker fetches them with ranged GETs
// (webseed_fetch.go) and hands the blocks to the disk goroutines exactly
// as a peer's reader does, so every piece is hashed before it counts. A
// seed whose requests fail is backed off, then dropped; one that sends a
// piece failing its hash too.
//
// Ownership: t.web and every webSeed field are the loop's; a fetch worker
// gets a webJob (what one request needs) and the seed's stub peer, whose
// dead and downloaded atomics it shares with the disk goroutines and the
// snapshot, and returns its outcome on t.results.

const (
	webJobBytes   = 4 << 20 // bytes asked of a web seed in one job: a few ranged GETs at most
	webJobsPerURL = 2       // jobs in flight per web seed, so one's latency hides behind the other
	webMaxFails   = 5       // failed requests in a row before a seed is dropped
	webMaxBad     = 2       // pieces failing their hash before a seed is dropped
)

// WebSeedState is how a web seed is doing.
type WebSeedState int

const (
	WebSeedActive  WebSeedState = iota // in use, or ready to be
	WebSeedBackoff                     // its last request failed; retried at RetryAt
	WebSeedDropped                     // not used again this session; Err says why
)

func (s WebSeedState) String() string {
	return [...]string{"active", "backing off", "dropped"}[s]
}

// WebSeedSnapshot is one web seed (BEP 19) of a torrent.
type WebSeedSnapshot struct {
	URL        string
	State      WebSeedState
	Err        string    // why it backs off or was dropped; the last failure while active
	RetryAt    time.Time // in WebSeedBackoff
	Downloaded int64     // payload bytes received from it this session (verified or not)
	DownBps    int64
	Requests   int // jobs in flight
	BadPieces  int // pieces it sent that failed their hash
}

type webSeed struct {
	url     string
	peer    *peer // its picker identity and its blocks' sender; never in t.peers
	state   WebSeedState
	err     string
	fails   int // failed requests in a row
	bad     int
	retryAt time.Time
	jobs    int
}

// webSeeds is the torrent's web seeds, built once the content is known.
type webSeeds struct {
	seeds  []*webSeed
	init   bool
	client *http.Client
	// ctx ends the jobs in flight on pause; a new one is made for the next.
	ctx    context.Context
	cancel context.CancelFunc
}

// has says p is the stub peer of one of the torrent's web seeds.
func (w *webSeeds) has(p *peer) bool {
	return slices.ContainsFunc(w.seeds, func(ws *webSeed) bool { return ws.peer == p })
}

func (t *torrent) webURLs() []string {
	switch {
	case t.opts.Torrent != nil:
		return t.opts.Torrent.WebSeeds
	case t.opts.Magnet != nil:
		return t.opts.Magnet.WebSeeds
	}
	return nil
}

// webInit registers the web seeds with the picker, once.
func (t *torrent) webInit() {
	if t.web.init {
		return
	}
	t.web.init = true
	urls := t.webURLs()
	if len(urls) == 0 {
		return
	}
	hosts := map[string]bool{}
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil {
			hosts[strings.ToLower(p.Hostname())] = true
		}
	}
	t.web.client = newWebClient(hosts, t.webIdle())
	for _, u := range urls {
		t.ids.next++
		ws := &webSeed{url: u, peer: &peer{id: t.ids.next, host: t, nc: &newConn{}}}
		t.picker.HandleHaveAll(ws.peer.id)
		t.picker.HandleUnchoke(ws.peer.id)
		t.web.seeds = append(t.web.seeds, ws)
	}
}

func (t *torrent) webIdle() time.Duration {
	if d := t.s.hooks.webIdle; d > 0 {
		return d
	}
	return 30 * time.Second
}

// webFill starts jobs for the web seeds that have room, while the torrent
// wants data. The loop calls it wherever peers get requests.
func (t *torrent) webFill() {
	if t.picker == nil || !t.running || t.paused || t.err != nil || t.completed || t.diskFull() || t.ctx.Err() != nil {
		return
	}
	t.webInit()
	if len(t.web.seeds) == 0 {
		return
	}
	c := t.data.Load()
	if t.web.ctx == nil {
		t.web.ctx, t.web.cancel = context.WithCancel(t.ctx)
	}
	now := time.Now()
	n := max(1, webJobBytes/blockSize)
	for _, ws := range t.web.seeds {
		if ws.state == WebSeedDropped || ws.state == WebSeedBackoff && now.Before(ws.retryAt) {
			continue
		}
		ws.state = WebSeedActive
		for ws.jobs < webJobsPerURL {
			pr := ws.peer.id
			blocks := t.picker.PickRun(pr, n)
			if len(blocks) == 0 {
				// Nothing unstarted: help finish what others started.
				blocks = t.picker.PickFor(pr, max(1, int(c.info.PieceLength/blockSize)))
			}
			if len(blocks) == 0 {
				break
			}
			t.startWorkers()
			ws.jobs++
			job := newWebJob(ws.url, c.info, blocks)
			ctx, client, p := t.web.ctx, t.web.client, ws.peer
			t.spawn(func() {
				delivered, err := t.webFetch(ctx, client, p, job)
				t.results <- func() { t.webDone(ctx, ws, blocks, delivered, err) }
			})
		}
	}
}

// webStop ends the web seeds' jobs in flight (pause); their blocks go back
// to the picker as the jobs report.
func (t *torrent) webStop() {
	if t.web.cancel != nil {
		t.web.cancel()
		t.web.ctx, t.web.cancel = nil, nil
	}
}

// webDone takes a job's outcome: blocks it did not deliver go back to the
// picker, and a failure backs the seed off or drops it.
func (t *torrent) webDone(ctx context.Context, ws *webSeed, blocks []pieces.Block, delivered int, err error) {
	ws.jobs--
	if ws.state != WebSeedDropped && t.picker != nil {
		for _, b := range blocks[delivered:] {
			t.picker.HandleReject(ws.peer.id, b)
		}
	}
	switch {
	case err == nil:
		ws.fails = 0
	case ctx.Err() != nil:
		// Paused or stopping: not the server's fault.
	case ws.state == WebSeedDropped:
	default:
		var fatal *webFatalError
		ws.fails++
		if errors.As(err, &fatal) || ws.fails >= webMaxFails {
			t.webDrop(ws, err.Error())
		} else {
			t.webBackoff(ws, err.Error())
		}
	}
	t.fillRequests()
}

func (t *torrent) webBackoff(ws *webSeed, why string) {
	ws.state, ws.err = WebSeedBackoff, why
	base := t.s.hooks.webRetry
	if base <= 0 {
		base = 2 * time.Second
	}
	ws.retryAt = time.Now().Add(min(base<<max(ws.fails-1, 0), max(base, time.Minute)))
	t.log.Debug("Web seed backing off", "url", ws.url, "until", ws.retryAt, "err", why)
}

// webDrop stops using ws: its pending requests go to other sources, and
// blocks of it not yet written are discarded.
func (t *torrent) webDrop(ws *webSeed, why string) {
	if ws.state == WebSeedDropped {
		return
	}
	ws.state, ws.err = WebSeedDropped, why
	ws.peer.dead.Store(true)
	if t.picker != nil {
		t.picker.HandleDisconnect(ws.peer.id)
	}
	t.log.Info("Web seed dropped", "url", ws.url, "err", why)
	// Not EventError: that one fails the torrent for shoal get.
	t.s.emit(Event{Kind: EventWebSeedDropped, InfoHash: t.ih, Name: t.name(), Peer: ws.url, Msg: why})
}

// webBadPiece charges the web seeds among a failed piece's senders.
func (t *torrent) webBadPiece(i int, senders []pieces.Peer) {
	for _, ws := range t.web.seeds {
		if ws.state == WebSeedDropped || !slices.Contains(senders, ws.peer.id) {
			continue
		}
		ws.bad++
		why := fmt.Sprintf("sent piece %d and it failed its hash", i)
		if ws.bad >= webMaxBad {
			t.webDrop(ws, fmt.Sprintf("%s (%d bad pieces)", why, ws.bad))
		} else {
			ws.fails++
			t.webBackoff(ws, why)
		}
	}
}

func (t *torrent) webSampleRates(now time.Time) {
	for _, ws := range t.web.seeds {
		ws.peer.downRate.update(ws.peer.downloaded.Load(), now)
	}
}

func (t *torrent) webSnapshot() []WebSeedSnapshot {
	var out []WebSeedSnapshot
	for _, ws := range t.web.seeds {
		out = append(out, WebSeedSnapshot{URL: ws.url, State: ws.state, Err: ws.err, RetryAt: ws.retryAt,
			Downloaded: ws.peer.downloaded.Load(), DownBps: int64(ws.peer.downRate.rate),
			Requests: ws.jobs, BadPieces: ws.bad})
	}
	if out == nil {
		// Before the content is known, or while seeding: list them unused.
		for _, u := range t.webURLs() {
			out = append(out, WebSeedSnapshot{URL: u})
		}
	}
	return out
}

// close drops the client's idle connections: their goroutines would
// outlive the torrent.
func (w *webSeeds) close() {
	if w.cancel != nil {
		w.cancel()
	}
	if w.client != nil {
		w.client.CloseIdleConnections()
	}
}

// webStalled says why the web seeds give nothing, when the torrent has
// some and none is in use; "" otherwise.
func (t *torrent) webStalled() string {
	var why string
	for _, ws := range t.web.seeds {
		switch ws.state {
		case WebSeedActive:
			return ""
		case WebSeedBackoff:
			why = cmp.Or(why, fmt.Sprintf("web seed %s backing off: %s", ws.url, ws.err))
		}
	}
	if why == "" && len(t.web.seeds) > 0 {
		why = fmt.Sprintf("every web seed dropped (%s: %s)", t.web.seeds[0].url, t.web.seeds[0].err)
	}
	return why
}
