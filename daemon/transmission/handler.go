package transmission

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// SessionIDHeader carries the token that guards against cross-site
// requests: a call without it, or with a stale one, is answered 409 with
// the right one, which the remote then sends back (rpc-spec 2.3.1).
const SessionIDHeader = "X-Transmission-Session-Id"

// Config configures a Handler. Zero values mean the defaults.
type Config struct {
	Backend Backend // required
	// Authorize, when set, is asked about every request before anything
	// else; false answers 401 with a Basic challenge. The daemon checks
	// credentials or a token here.
	Authorize    func(*http.Request) bool
	MaxBodyBytes int64  // default 24 MiB: room for a 16 MiB .torrent in base64
	Version      string // shown as session-get's "version"; default "shoal"
	// WebDir, when set, is a folder holding Transmission's web UI (Debian
	// installs it at /usr/share/transmission/web): Register serves it at
	// /transmission/web/, behind Authorize, beside the RPC it calls.
	WebDir string
	Logger *slog.Logger
}

// Handler serves Transmission's RPC. Mount it at /transmission/rpc and
// /transmission/rpc/ (transmission-remote adds the slash); Register does.
type Handler struct {
	cfg       Config
	b         Backend
	log       *slog.Logger
	sessionID string
	started   time.Time

	mu       sync.Mutex
	activity activity   // guarded by mu
	sweep    uint64     // guarded by mu: counts selectTorrents calls
	remember remembered // guarded by mu
	incoming atomic.Bool
}

// New returns a Handler over cfg.Backend.
func New(cfg Config) (*Handler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("transmission: no Backend")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 24 << 20
	}
	if cfg.Version == "" {
		cfg.Version = "shoal"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var tok [24]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("session id: %w", err)
	}
	return &Handler{
		cfg:       cfg,
		b:         cfg.Backend,
		log:       cfg.Logger.With("component", "transmission-rpc"),
		sessionID: base64.RawURLEncoding.EncodeToString(tok[:]),
		started:   time.Now(),
		activity:  newActivity(),
		remember:  remembered{downKBps: 100, upKBps: 100, ratio: 2},
	}, nil
}

// Register mounts h on mux at both paths remotes use, and the web UI when
// Config.WebDir names one.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("/transmission/rpc", h)
	mux.Handle("/transmission/rpc/", h)
	if h.cfg.WebDir == "" {
		return
	}
	files := http.StripPrefix("/transmission/web/", http.FileServer(http.Dir(h.cfg.WebDir)))
	mux.Handle("/transmission/web/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Authorize != nil && !h.cfg.Authorize(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="shoal"`)
			http.Error(w, "unauthorized: wrong or missing credentials", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	mux.Handle("/transmission/web", http.RedirectHandler("/transmission/web/", http.StatusMovedPermanently))
}

// response is what every call answers.
type response struct {
	Result    string
	Arguments any             // nil: none
	Tag       json.RawMessage // echoed as the request sent it
	Snake     bool            // the method was named in Transmission 4.1's snake_case: so are the keys
}

func (r response) encode() ([]byte, error) {
	o := object{{"result", r.Result}}
	if r.Arguments != nil {
		o = append(o, kv{"arguments", r.Arguments})
	}
	if len(r.Tag) > 0 {
		o = append(o, kv{"tag", r.Tag})
	}
	b, err := appendValueIn(*bufs.Get().(*[]byte), o, namesFor(r.Snake))
	return append(b, '\n'), err
}

// bufs holds response buffers: a torrent-get of many torrents is megabytes,
// and growing a fresh buffer to that size each time was a third of its cost.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putBuf returns b to bufs, unless it grew too big to keep around.
func putBuf(b []byte) {
	if cap(b) <= 32<<20 {
		b = b[:0]
		bufs.Put(&b)
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Authorize != nil && !h.cfg.Authorize(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="shoal"`)
		writeError(w, http.StatusUnauthorized, "unauthorized: wrong or missing credentials")
		return
	}
	got := r.Header.Get(SessionIDHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.sessionID)) != 1 {
		w.Header().Set(SessionIDHeader, h.sessionID)
		writeError(w, http.StatusConflict, "missing or stale "+SessionIDHeader+": resend the request with the one in this response's header")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "the RPC takes POST requests")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			// mbe.Limit, not ours: a server in front may cap lower.
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	if isBatch(body) {
		h.serveBatch(w, r, body)
		return
	}
	req, err := decodeRequest(body)
	if err != nil && req.JSONRPC != "" {
		writeJSONRPC(w, req, nil, &requestError{err})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, response{Result: err.Error(), Tag: req.Tag})
		return
	}
	method, snake := legacyMethod(req.Method)
	req.Method = method
	if req.JSONRPC != "" {
		req.Arguments = req.Params
		snake = true // JSON-RPC is 4.1's: snake_case throughout
	}
	args, err := h.call(r, req, namesFor(snake))
	if err != nil {
		h.log.Debug("RPC call failed", "method", req.Method, "err", err)
	}
	if req.JSONRPC != "" {
		writeJSONRPC(w, req, args, err)
		return
	}
	resp := response{Result: "success", Arguments: args, Tag: req.Tag, Snake: snake}
	if err != nil {
		resp.Result = err.Error()
	}
	if resp.Arguments == nil {
		resp.Arguments = object{}
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, response{Result: msg})
}

func writeJSON(w http.ResponseWriter, code int, r response) {
	b, err := r.encode()
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"result":"internal error: encoding the response"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
	putBuf(b)
}

// call runs one method and returns its response arguments.
func (h *Handler) call(r *http.Request, req request, names keyNames) (any, error) {
	switch req.Method {
	case "session-get":
		return h.sessionGet(req.Arguments)
	case "session-set":
		return nil, h.sessionSet(req.Arguments)
	case "session-stats":
		return h.sessionStats(req.Arguments)
	case "torrent-get":
		return h.torrentGet(req.Arguments, names)
	case "torrent-add":
		return h.torrentAdd(r, req.Arguments)
	case "torrent-start", "torrent-start-now":
		return nil, h.forEach(req.Arguments, h.b.Start)
	case "torrent-stop":
		return nil, h.forEach(req.Arguments, h.b.Stop)
	case "torrent-verify":
		return nil, h.forEach(req.Arguments, h.b.Verify)
	case "torrent-remove":
		return nil, h.torrentRemove(req.Arguments)
	case "torrent-set":
		return nil, h.torrentSet(req.Arguments)
	case "free-space":
		return h.freeSpace(req.Arguments)
	case "port-test":
		return h.portTest(req.Arguments)
	case "torrent-reannounce", "torrent-set-location", "torrent-rename-path", "blocklist-update",
		"session-close", "queue-move-top", "queue-move-up", "queue-move-down", "queue-move-bottom",
		"group-get", "group-set":
		return nil, fmt.Errorf("method %q is not supported by shoal", req.Method)
	}
	return nil, &unknownMethodError{truncate(req.Method, 64)}
}
