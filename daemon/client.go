package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// ErrNoDaemon means no daemon answers on the socket.
var ErrNoDaemon = errors.New("no shoal daemon is running")

// Client talks to a daemon's control API: the CLI and the terminal UI use
// it. Its methods are safe for concurrent use.
type Client struct {
	hc     *http.Client
	stream *http.Client // no timeout: for the event stream
	base   string
	socket string // for messages
}

// Dial returns a client of the daemon on the Unix socket at path. It does
// not connect until a call; a call that finds no daemon fails with
// ErrNoDaemon.
func Dial(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 4,
	}
	return &Client{
		hc:     &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		stream: &http.Client{Transport: tr},
		base:   "http://shoal",
		socket: path,
	}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.socket }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.connError(err)
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

func (c *Client) connError(err error) error {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w (no socket at %s)", ErrNoDaemon, c.socket)
	}
	return fmt.Errorf("daemon at %s: %w", c.socket, err)
}

func decodeResponse(resp *http.Response, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return fmt.Errorf("read daemon's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e Error
		if json.Unmarshal(b, &e) == nil && e.Msg != "" {
			return &e
		}
		return &Error{Kind: KindInternal, Msg: fmt.Sprintf("daemon answered %s", resp.Status)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("daemon's answer: %w", err)
	}
	return nil
}

func idPath(id string, op string) string {
	p := "/v1/torrents/" + url.PathEscape(id)
	if op != "" {
		p += "/" + op
	}
	return p
}

// Status describes the running daemon.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Add adds a torrent.
func (c *Client) Add(ctx context.Context, req AddRequest) (Added, error) {
	var a Added
	err := c.do(ctx, http.MethodPost, "/v1/torrents", req, &a)
	return a, err
}

// List lists every torrent.
func (c *Client) List(ctx context.Context) ([]Row, error) {
	var rows []Row
	err := c.do(ctx, http.MethodGet, "/v1/torrents", nil, &rows)
	return rows, err
}

// Detail returns one torrent in full.
func (c *Client) Detail(ctx context.Context, id string) (Detail, error) {
	var dt Detail
	err := c.do(ctx, http.MethodGet, idPath(id, ""), nil, &dt)
	return dt, err
}

// Pause, Resume and Verify act on one torrent, named by number or infohash prefix.
func (c *Client) Pause(ctx context.Context, id string) (Added, error) {
	return c.act(ctx, id, "pause", nil)
}
func (c *Client) Resume(ctx context.Context, id string) (Added, error) {
	return c.act(ctx, id, "resume", nil)
}
func (c *Client) Verify(ctx context.Context, id string) (Added, error) {
	return c.act(ctx, id, "verify", nil)
}

// Remove forgets a torrent; deleteData also deletes its files.
func (c *Client) Remove(ctx context.Context, id string, deleteData bool) (Added, error) {
	return c.act(ctx, id, "remove", RemoveRequest{DeleteData: deleteData})
}

// Set changes a torrent's settings.
func (c *Client) Set(ctx context.Context, id string, req SetRequest) (Added, error) {
	return c.act(ctx, id, "set", req)
}

func (c *Client) act(ctx context.Context, id, op string, body any) (Added, error) {
	var a Added
	if body == nil {
		body = struct{}{}
	}
	err := c.do(ctx, http.MethodPost, idPath(id, op), body, &a)
	return a, err
}

// Snapshot fetches the engine's last snapshot.
func (c *Client) Snapshot(ctx context.Context) (*swarm.Snapshot, error) {
	var s swarm.Snapshot
	if err := c.do(ctx, http.MethodGet, "/v1/snapshot", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Events streams the daemon's events into fn until ctx ends or the
// daemon goes; it returns why it stopped.
func (c *Client) Events(ctx context.Context, fn func(swarm.Event)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/events", nil)
	if err != nil {
		return err
	}
	resp, err := c.stream.Do(req)
	if err != nil {
		return c.connError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeResponse(resp, nil)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev swarm.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil {
			fn(ev)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}
