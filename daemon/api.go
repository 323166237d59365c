package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"os"

	"github.com/shoal-bt/shoal/swarm"
)

// Handler serves the control API (see doc.go for its routes) to clients of
// the given trust. It answers every request with JSON, errors included.
func (d *Daemon) Handler(trust Trust) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.Status())
	})
	mux.HandleFunc("GET /v1/torrents", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.List())
	})
	mux.HandleFunc("POST /v1/torrents", func(w http.ResponseWriter, r *http.Request) {
		var req AddRequest
		if err := DecodeRequest(r.Body, &req); err != nil {
			writeError(w, err)
			return
		}
		added, err := d.Add(r.Context(), req, trust)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, added)
	})
	mux.HandleFunc("GET /v1/torrents/{id}", d.withID(func(ctx context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		return d.Detail(ctx, ih)
	}))
	mux.HandleFunc("POST /v1/torrents/{id}/pause", d.withID(func(_ context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		return d.answer(ih, d.Pause(ih))
	}))
	mux.HandleFunc("POST /v1/torrents/{id}/resume", d.withID(func(_ context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		return d.answer(ih, d.Resume(ih))
	}))
	mux.HandleFunc("POST /v1/torrents/{id}/verify", d.withID(func(ctx context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		return d.answer(ih, d.Verify(ctx, ih))
	}))
	mux.HandleFunc("POST /v1/torrents/{id}/remove", d.withID(func(_ context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		var req RemoveRequest
		if err := DecodeRequest(r.Body, &req); err != nil {
			return nil, err
		}
		id := d.idOf(ih)
		if err := d.Remove(ih, req.DeleteData); err != nil {
			return nil, err
		}
		return Added{ID: id, InfoHash: hexOf(ih)}, nil
	}))
	mux.HandleFunc("POST /v1/torrents/{id}/set", d.withID(func(_ context.Context, ih swarm.InfoHash, r *http.Request) (any, error) {
		var req SetRequest
		if err := DecodeRequest(r.Body, &req); err != nil {
			return nil, err
		}
		return d.answer(ih, d.Set(ih, req))
	}))
	mux.HandleFunc("GET /v1/snapshot", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.Snapshot())
	})
	mux.HandleFunc("GET /v1/events", d.serveEvents)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(KindNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return recoverJSON(d, mux)
}

// withID resolves the {id} of the path before calling fn.
func (d *Daemon) withID(fn func(context.Context, swarm.InfoHash, *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ih, err := d.Resolve(r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		v, err := fn(r.Context(), ih, r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (d *Daemon) answer(ih swarm.InfoHash, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return Added{ID: d.idOf(ih), InfoHash: hexOf(ih)}, nil
}

// Status describes the daemon.
func (d *Daemon) Status() Status {
	st := Status{PID: os.Getpid(), Started: d.started, ListenAddr: d.s.Addr().String(), StateDir: d.lib.Dir,
		Blocked: d.blockedTotal()}
	if snap := d.s.Snapshot(); snap != nil {
		st.Torrents, st.DownBps, st.UpBps = len(snap.Torrents), snap.DownBps, snap.UpBps
	}
	return st
}

// Snapshot is the engine's last snapshot, ready for JSON: error values do
// not travel (Err carries their text).
func (d *Daemon) Snapshot() *swarm.Snapshot {
	snap := d.s.Snapshot()
	if snap == nil {
		return &swarm.Snapshot{}
	}
	out := *snap
	out.Torrents = make([]swarm.TorrentSnapshot, len(snap.Torrents))
	for i, t := range snap.Torrents {
		d.idOf(t.InfoHash)
		t.Cause = nil
		out.Torrents[i] = t
	}
	return &out
}

// serveEvents streams events as JSON lines until the client goes.
func (d *Daemon) serveEvents(w http.ResponseWriter, r *http.Request) {
	ch, stop := d.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			if enc.Encode(ev) != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	e := asError(err)
	writeJSON(w, e.Kind.status(), e)
}

// recoverJSON turns a panic in a handler into a JSON error: nothing a
// client sends may stop the daemon.
func recoverJSON(d *Daemon, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				d.log.Error("Request panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, errorf(KindInternal, "internal error serving %s; the daemon logged it", r.URL.Path))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
