package tracker

import (
	"errors"
	"log"
	"log/slog"
	"net"
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

func newHTTPServer(h *httpFrontend, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
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
			h.status.serveMetrics(w, r)
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
	if !h.l.allow(ip) {
		h.fail(w, bufs, ErrRateLimited)
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
	if !h.l.allow(remoteIP(r)) {
		h.fail(w, bufs, ErrRateLimited)
		return
	}
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

// limitListener caps concurrent connections, so a flood of idle sockets
// cannot exhaust file descriptors; new ones wait in the kernel's backlog.
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func newLimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
