package stream

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// DefaultAddr is where Listen listens when given no address: loopback,
// a free port.
const DefaultAddr = "127.0.0.1:0"

// Handler serves files of Session's torrents; see the package doc for
// its URLs and answers.
type Handler struct {
	Session   *swarm.Session
	Readahead int64    // bytes asked for first past a read; 0 means swarm.DefaultReadahead
	Hosts     []string // host names the Host header may carry besides IP addresses and localhost
}

// Path is the URL path of file (numbered as the snapshot numbers them,
// with its snapshot path name) of torrent ih.
func Path(ih swarm.InfoHash, file int, name string) string {
	parts := strings.Split(name, "/")
	for k, p := range parts {
		parts[k] = url.PathEscape(p)
	}
	return fmt.Sprintf("/%x/%d/%s", ih[:], file, strings.Join(parts, "/"))
}

// URLs returns the URL of each file of torrent ih served at base
// (http://HOST:PORT), in file order; nil until its info has arrived.
// Padding files (BEP 47) get an empty string.
func URLs(base string, t swarm.TorrentSnapshot) []string {
	if len(t.Files) == 0 {
		return nil
	}
	out := make([]string, len(t.Files))
	for k, f := range t.Files {
		if !isPadding(f.Path) {
			out[k] = base + Path(t.InfoHash, k, f.Path)
		}
	}
	return out
}

// isPadding: BEP 47 pad files are named .pad/N (libtorrent's convention).
func isPadding(p string) bool { return strings.Contains(p, "/.pad/") }

// ServeHTTP serves one file, or says why not.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hostOK(r.Host) {
		http.Error(w, "stream: the Host header must be an IP address or localhost", http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "stream: only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	ih, file, name, ok := parsePath(r.URL.EscapedPath())
	if !ok {
		http.Error(w, "stream: no such file: paths are /INFOHASH/N/PATH", http.StatusNotFound)
		return
	}
	rd, err := h.Session.NewReader(r.Context(), ih, file)
	switch {
	case errors.Is(err, swarm.ErrNoMetadata):
		w.Header().Set("Retry-After", "2")
		http.Error(w, "stream: the torrent's info has not arrived yet", http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, "stream: no such file", http.StatusNotFound)
		return
	}
	defer rd.Close()
	if name != "" && name != rd.Name() {
		http.Error(w, "stream: no such file", http.StatusNotFound)
		return
	}
	if h.skipped(ih, file) {
		http.Error(w, "stream: the file is skipped: set its priority to stream it", http.StatusConflict)
		return
	}
	if emptySuffix(r.Header.Get("Range")) {
		// ServeContent answers bytes=-0 with a 206 of nothing, and a
		// Content-Range no client can read (RFC 9110 says 416).
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", rd.Size()))
		http.Error(w, "stream: a suffix range of 0 bytes selects nothing", http.StatusRequestedRangeNotSatisfiable)
		return
	}
	if h.Readahead > 0 {
		rd.SetReadahead(h.Readahead)
	}
	// Set here so that ServeContent does not read the first 512 bytes
	// to sniff it: that would wait for the file's first piece.
	ctype := mime.TypeByExtension(path.Ext(rd.Name()))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The bytes of a file of a torrent never change: its infohash and
	// number name them, so If-Range works for a player that resumes.
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%d"`, ih[:], file))
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, rd)
}

// skipped reports whether file of torrent ih is skipped and not all
// there: its reads would wait for pieces nobody fetches. (ServeContent
// has sent its headers by the first read, too late for a 409.)
func (h *Handler) skipped(ih swarm.InfoHash, file int) bool {
	for _, t := range h.Session.Snapshot().Torrents {
		if t.InfoHash == ih && file < len(t.Files) {
			f := t.Files[file]
			return f.Priority == swarm.PrioritySkip && f.DoneBytes < f.SizeBytes
		}
	}
	return false
}

// emptySuffix reports whether a Range header asks for a suffix of zero
// bytes ("bytes=-0").
func emptySuffix(rng string) bool {
	spec, ok := strings.CutPrefix(rng, "bytes=")
	if !ok {
		return false
	}
	for _, s := range strings.Split(spec, ",") {
		if n, ok := strings.CutPrefix(strings.TrimSpace(s), "-"); ok && n != "" && strings.Trim(n, "0") == "" {
			return true
		}
	}
	return false
}

// parsePath splits /INFOHASH/N[/PATH] (escaped).
func parsePath(p string) (ih swarm.InfoHash, file int, name string, ok bool) {
	rest, found := strings.CutPrefix(p, "/")
	if !found {
		return ih, 0, "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || len(parts[0]) != 40 {
		return ih, 0, "", false
	}
	if n, err := hex.Decode(ih[:], []byte(parts[0])); err != nil || n != 20 {
		return ih, 0, "", false
	}
	// Digits only: no sign, no spaces; and a sane length.
	if parts[1] == "" || len(parts[1]) > 9 || strings.Trim(parts[1], "0123456789") != "" {
		return ih, 0, "", false
	}
	file, _ = strconv.Atoi(parts[1])
	if len(parts) == 3 && parts[2] != "" {
		var err error
		if name, err = url.PathUnescape(parts[2]); err != nil {
			return ih, 0, "", false
		}
	}
	return ih, file, name, true
}

func (h *Handler) hostOK(host string) bool {
	if hp, _, err := net.SplitHostPort(host); err == nil {
		host = hp
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	for _, ok := range h.Hosts {
		if strings.EqualFold(host, ok) {
			return true
		}
	}
	return false
}

// Listen listens on addr, DefaultAddr when empty.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stream: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// BaseURL is http://HOST:PORT for a listener (an unspecified address is
// named as loopback, which reaches it).
func BaseURL(ln net.Listener) string {
	ap, err := netip.ParseAddrPort(ln.Addr().String())
	if err != nil {
		return "http://" + ln.Addr().String()
	}
	a := ap.Addr().Unmap()
	if a.IsUnspecified() {
		if a.Is4() {
			a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		} else {
			a = netip.IPv6Loopback()
		}
	}
	return "http://" + netip.AddrPortFrom(a, ap.Port()).String()
}

// Serve serves h on ln until ctx is done, then closes every connection
// (a request waiting for a piece ends with it).
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			srv.Close()
		case <-stop:
		}
	}()
	err := srv.Serve(ln)
	close(stop)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
