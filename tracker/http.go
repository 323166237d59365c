package tracker

import (
	"errors"
	"log"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// httpFrontend serves BEP 3/48 announce and scrape, the status page and
// /metrics. Peers always get HTTP 200 with a bencoded body: clients read
// "failure reason" from the body, not the status code.
type httpFrontend struct {
	l      *logic
	status *statusPage
	log    *slog.Logger
}

type httpBufs struct {
	out, p4, p6 []byte
	scrape      []scrapeEntry
}

var httpBufPool = sync.Pool{New: func() any {
	return &httpBufs{out: make([]byte, 0, 1024), p4: make([]byte, 0, 512), p6: make([]byte, 0, 512)}
}}

// Timeouts of the HTTP frontend. A client sends its whole request at once,
// so one that has not within httpHeaderTimeout is holding a connection, not
// using it; announces come minutes apart, so a keep-alive connection idle
// for httpIdleTimeout will not be reused soon.
const (
	httpHeaderTimeout = 3 * time.Second
	httpIdleTimeout   = 20 * time.Second
)

func newHTTPServer(h *httpFrontend, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpHeaderTimeout,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          log.New(slogWriter{logger}, "", 0),
	}
}

// slogWriter sends net/http's complaints (bad TLS probes, broken
// connections) to the debug log: they are the peer's problem, not ours.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("HTTP server", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

func (h *httpFrontend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	// Every request costs its client a token, whatever it asks for: a
	// client sending junk must run out of budget as fast as one announcing.
	// Over budget, the connection is closed after the answer, which frees a
	// slot for someone else.
	if !h.l.allow(remoteIP(r)) {
		w.Header().Set("Connection", "close")
		if isTrackerPath(path) {
			bufs := httpBufPool.Get().(*httpBufs)
			defer httpBufPool.Put(bufs)
			h.fail(w, bufs, ErrRateLimited)
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(1/h.l.cfg.RatePerIP))))
		http.Error(w, "rate limited: slow down", http.StatusTooManyRequests)
		return
	}
	switch {
	case path == "/announce":
		h.announce(w, r, "")
	case strings.HasPrefix(path, "/announce/"):
		h.announce(w, r, path[len("/announce/"):])
	case path == "/scrape":
		h.scrape(w, r, "")
	case strings.HasPrefix(path, "/scrape/"):
		h.scrape(w, r, path[len("/scrape/"):])
	case path == "/":
		if h.mayView(w, r) {
			h.status.serveHTML(w, r)
		}
	case path == "/metrics":
		if h.mayView(w, r) {
			h.status.metrics.ServeHTTP(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// mayView guards the status page and /metrics of a passkey tracker: the
// list of infohashes is exactly what passkeys keep from outsiders. Anyone
// with a valid key (?passkey=) may look, and so may the tracker's own host.
func (h *httpFrontend) mayView(w http.ResponseWriter, r *http.Request) bool {
	list := h.l.access.list()
	if list.passkeys == nil || remoteIP(r).IsLoopback() {
		return true
	}
	if _, ok := list.passkeys[r.URL.Query().Get("passkey")]; ok {
		return true
	}
	http.Error(w, "this tracker needs a passkey: open "+r.URL.Path+"?passkey=YOUR_KEY", http.StatusForbidden)
	return false
}

// isTrackerPath reports whether path is one BitTorrent clients use, which
// answer in bencode.
func isTrackerPath(path string) bool {
	return path == "/announce" || path == "/scrape" ||
		strings.HasPrefix(path, "/announce/") || strings.HasPrefix(path, "/scrape/")
}

func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func writeBencode(w http.ResponseWriter, b []byte) {
	hd := w.Header()
	hd["Content-Type"] = []string{"text/plain"}
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	_, _ = w.Write(b)
}

func (h *httpFrontend) fail(w http.ResponseWriter, bufs *httpBufs, err error) {
	bufs.out = appendFailure(bufs.out[:0], failureReason(err))
	writeBencode(w, bufs.out)
}

func (h *httpFrontend) announce(w http.ResponseWriter, r *http.Request, passkey string) {
	h.l.stats.announcesHTTP.Add(1)
	bufs := httpBufPool.Get().(*httpBufs)
	defer httpBufPool.Put(bufs)
	ip := remoteIP(r)
	if !ip.IsValid() {
		h.fail(w, bufs, errors.New("tracker: no client address"))
		return
	}
	req, err := ParseAnnounce(r.URL.RawQuery)
	if err != nil {
		h.l.stats.failure(err)
		h.fail(w, bufs, err)
		return
	}
	if passkey == "" {
		passkey = req.Passkey
	}
	res := announceResult{Peers4: bufs.p4[:0], Peers6: bufs.p6[:0]}
	if err := h.l.announce(&req, netip.AddrPortFrom(ip, req.Port), passkey, true, &res); err != nil {
		h.log.Debug("Announce refused", "ip", ip, "infoHash", req.InfoHash, "err", err)
		h.fail(w, bufs, err)
		return
	}
	bufs.p4, bufs.p6 = res.Peers4, res.Peers6 // keep grown buffers
	bufs.out = appendAnnounceHTTP(bufs.out[:0], &res, int64(h.l.cfg.Interval/time.Second), int64(h.l.cfg.MinInterval/time.Second), req.Compact)
	writeBencode(w, bufs.out)
}

func (h *httpFrontend) scrape(w http.ResponseWriter, r *http.Request, passkey string) {
	h.l.stats.scrapesHTTP.Add(1)
	bufs := httpBufPool.Get().(*httpBufs)
	defer httpBufPool.Put(bufs)
	req, err := ParseScrape(r.URL.RawQuery)
	if err != nil {
		h.l.stats.failure(err)
		h.fail(w, bufs, err)
		return
	}
	if len(req.InfoHashes) == 0 {
		h.fail(w, bufs, ErrFullScrape)
		return
	}
	if passkey == "" {
		passkey = req.Passkey
	}
	entries, err := h.l.scrape(req.InfoHashes, passkey, bufs.scrape[:0])
	if err != nil {
		h.fail(w, bufs, err)
		return
	}
	bufs.scrape = entries
	bufs.out = appendScrapeHTTP(bufs.out[:0], entries)
	writeBencode(w, bufs.out)
}
