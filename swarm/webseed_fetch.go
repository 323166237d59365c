package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// A web seed job, off the loop: the blocks of a few pieces, in torrent
// order, grouped in runs of contiguous bytes, each run split at file
// boundaries into segments, one ranged GET each (BEP 19). Nothing the
// server says is trusted: a body is read only as far as the range asked
// for, every read is bounded in time, and the blocks go through the same
// hash check as a peer's.

// webMinRate is the slowest a body may trickle, in bytes per second,
// once webIdle has passed: a server that sends a byte every few seconds
// would otherwise hold a job for ever.
const webMinRate = 1 << 10

// webFatalError is a failure that retrying will not cure (the server
// ignores Range, redirects off its host, has no such file): the seed is
// dropped at once.
type webFatalError struct{ msg string }

func (e *webFatalError) Error() string { return e.msg }

func fatalf(format string, args ...any) error { return &webFatalError{fmt.Sprintf(format, args...)} }

// webSeg is one GET: n bytes at off in the file at url, or n zeros of a
// BEP 47 pad file, which no server is asked for.
type webSeg struct {
	url string
	off int64
	n   int64
	pad bool
}

type webRun struct {
	blocks []pieces.Block
	segs   []webSeg
}

type webJob struct {
	runs []webRun
}

// newWebJob sorts blocks by offset (in place: the loop gives back
// blocks[delivered:] on failure) and maps them to GETs.
func newWebJob(base string, info *pieces.Info, blocks []pieces.Block) webJob {
	off := func(b pieces.Block) int64 { return info.PieceOffset(b.Piece) + int64(b.Begin) }
	slices.SortFunc(blocks, func(a, b pieces.Block) int { return cmp.Compare(off(a), off(b)) })
	var job webJob
	for k := 0; k < len(blocks); {
		start, end := off(blocks[k]), off(blocks[k])+int64(blocks[k].Length)
		j := k + 1
		for j < len(blocks) && off(blocks[j]) == end {
			end += int64(blocks[j].Length)
			j++
		}
		job.runs = append(job.runs, webRun{blocks: blocks[k:j], segs: webSegs(base, info, start, end)})
		k = j
	}
	return job
}

// webSegs splits the torrent's bytes [start, end) at file boundaries.
func webSegs(base string, info *pieces.Info, start, end int64) []webSeg {
	var segs []webSeg
	k, _ := slices.BinarySearchFunc(info.Files, start, func(f pieces.File, off int64) int {
		return cmp.Compare(f.Offset+f.Length, off+1)
	})
	for ; k < len(info.Files) && start < end; k++ {
		f := info.Files[k]
		if f.Length == 0 || f.Offset+f.Length <= start {
			continue
		}
		n := min(end, f.Offset+f.Length) - start
		segs = append(segs, webSeg{url: webFileURL(base, info, k), off: start - f.Offset, n: n, pad: f.Padding})
		start += n
	}
	return segs
}

// webFileURL is file k's URL as BEP 19 says: a single-file torrent's URL
// is the file's, unless it ends in '/', when the name is added; a
// multi-file torrent's is a folder holding name/path.
func webFileURL(base string, info *pieces.Info, k int) string {
	f := info.Files[k]
	if f.Path == nil {
		if strings.HasSuffix(base, "/") {
			return base + url.PathEscape(info.Name)
		}
		return base
	}
	var b strings.Builder
	b.WriteString(base)
	if !strings.HasSuffix(base, "/") {
		b.WriteByte('/')
	}
	b.WriteString(url.PathEscape(info.Name))
	for _, c := range f.Path {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(c))
	}
	return b.String()
}

// newWebClient makes the torrent's client: redirects are followed only to
// the host they came from or another web seed's host, and a response's
// headers must come within idle.
func newWebClient(hosts map[string]bool, idle time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: idle,
		MaxIdleConnsPerHost:   webJobsPerURL,
		IdleConnTimeout:       30 * time.Second,
		DisableCompression:    true, // a gzipped range is not the bytes asked for
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fatalf("more than 5 redirects")
		}
		h := strings.ToLower(req.URL.Hostname())
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fatalf("redirected to a %q URL; not followed", req.URL.Scheme)
		}
		if h != strings.ToLower(via[0].URL.Hostname()) && !hosts[h] {
			return fatalf("redirected to another host (%s); not followed", req.URL.Host)
		}
		return nil
	}}
}

// webFetch fetches a job's blocks and stores them for the disk goroutines.
// delivered counts the blocks, in job order, that need nothing more from
// this job: stored, or of a piece verified meanwhile.
func (t *torrent) webFetch(ctx context.Context, client *http.Client, p *peer, job webJob) (delivered int, err error) {
	for _, run := range job.runs {
		if !slices.ContainsFunc(run.blocks, func(b pieces.Block) bool { return t.wanted(b.Piece) }) {
			delivered += len(run.blocks)
			continue
		}
		n, err := t.webFetchRun(ctx, client, p, run)
		delivered += n
		if err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

func (t *torrent) webFetchRun(ctx context.Context, client *http.Client, p *peer, run webRun) (int, error) {
	r := &webRunReader{ctx: ctx, client: client, segs: run.segs, idle: t.webIdle()}
	defer r.close()
	for k, b := range run.blocks {
		buf := getBlock()
		data := (*buf)[:b.Length]
		if _, err := io.ReadFull(r, data); err != nil {
			putBlock(buf)
			return k, err
		}
		if err := t.waitDown(ctx, len(data)); err != nil {
			putBlock(buf)
			return k, err
		}
		t.count(len(data), 0, 0)
		p.downloaded.Add(int64(len(data)))
		if !t.wanted(b.Piece) || p.dead.Load() {
			putBlock(buf)
			t.count(0, 0, len(data))
			continue
		}
		if !t.store(ctx, diskBlock{p: p, b: b, buf: buf}) {
			return k, ctx.Err()
		}
	}
	return len(run.blocks), nil
}

var errWebIdle = errors.New("no data")

// webRunReader reads a run's segments one after the other, opening each
// GET when the previous one is used up, never reading past a segment's
// end.
type webRunReader struct {
	ctx    context.Context
	client *http.Client
	segs   []webSeg
	idle   time.Duration

	body    io.ReadCloser
	reqCtx  context.Context // the current GET's
	cur     string          // its URL
	left    int64           // of the current segment
	pad     bool
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	got     int64
	readFor time.Duration // time spent waiting on the body
}

func (r *webRunReader) Read(b []byte) (int, error) {
	for r.left == 0 {
		r.close()
		if len(r.segs) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		if err := r.open(r.segs[0]); err != nil {
			return 0, err
		}
		r.segs = r.segs[1:]
	}
	b = b[:min(int64(len(b)), r.left)]
	if r.pad {
		clear(b)
		r.left -= int64(len(b))
		return len(b), nil
	}
	t0 := time.Now()
	r.timer.Reset(r.idle)
	n, err := r.body.Read(b)
	r.timer.Stop()
	r.readFor += time.Since(t0)
	r.left -= int64(n)
	r.got += int64(n)
	if err != nil && r.left > 0 {
		if c := r.cancelled(); c != nil {
			err = c // the idle timer's reason, not "context canceled"
		}
		return n, fmt.Errorf("%s: body ended %d bytes short: %w", r.url(), r.left, err)
	}
	if r.readFor > r.idle && float64(r.got) < r.readFor.Seconds()*webMinRate {
		return n, fmt.Errorf("%s: under %d B/s", r.url(), webMinRate)
	}
	return n, nil
}

func (r *webRunReader) url() string { return r.cur }

func (r *webRunReader) open(s webSeg) error {
	r.left, r.pad, r.cur = s.n, s.pad, s.url
	if s.pad {
		return nil
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		cancel(nil)
		return fatalf("%s: %v", s.url, err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", s.off, s.off+s.n-1))
	req.Header.Set("User-Agent", "shoal")
	resp, err := r.client.Do(req)
	if err != nil {
		cancel(nil)
		var fatal *webFatalError
		if errors.As(err, &fatal) {
			return fatal
		}
		return err
	}
	if err := checkWebResponse(resp, s); err != nil {
		resp.Body.Close()
		cancel(nil)
		return err
	}
	r.body, r.cancel = resp.Body, cancel
	r.reqCtx = ctx
	r.timer = time.AfterFunc(r.idle, func() { cancel(fmt.Errorf("%w for %v", errWebIdle, r.idle)) })
	r.timer.Stop()
	return nil
}

// cancelled is why the current request's context ended, if it did.
func (r *webRunReader) cancelled() error {
	if r.reqCtx == nil {
		return nil
	}
	return context.Cause(r.reqCtx)
}

func (r *webRunReader) close() {
	if r.body != nil {
		r.timer.Stop()
		r.body.Close() // without reading the rest: a huge body costs nothing more
		r.cancel(nil)
		r.body, r.reqCtx = nil, nil
	}
}

// checkWebResponse accepts 206 for exactly the range asked, or 200 when
// the range starts at 0 (the file's first bytes are then what was asked
// for; the rest is never read).
func checkWebResponse(resp *http.Response, s webSeg) error {
	u := s.url
	switch code := resp.StatusCode; {
	case code == http.StatusPartialContent:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/") {
			return fatalf("%s: answered a single range with a multipart body", u)
		}
		first, last, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || first != s.off || last < s.off+s.n-1 {
			return fatalf("%s: asked for bytes %d-%d, got Content-Range %q", u, s.off, s.off+s.n-1, resp.Header.Get("Content-Range"))
		}
	case code == http.StatusOK:
		if s.off != 0 {
			return fatalf("%s: ignores Range (answered 200 to a request for bytes %d-%d)", u, s.off, s.off+s.n-1)
		}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("%s: HTTP %s", u, resp.Status)
	default:
		return fatalf("%s: HTTP %s", u, resp.Status)
	}
	if resp.ContentLength >= 0 && resp.ContentLength < s.n {
		return fmt.Errorf("%s: body of %d bytes for a range of %d", u, resp.ContentLength, s.n)
	}
	return nil
}

// parseContentRange reads "bytes FIRST-LAST/TOTAL" (TOTAL may be "*").
func parseContentRange(v string) (first, last int64, ok bool) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, _, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return 0, 0, false
	}
	return first, last, true
}
