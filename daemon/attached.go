package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// Attached is a running daemon seen as an engine, for the terminal UI (it
// has the methods of tui.Engine). A goroutine polls the daemon's snapshot
// and keeps the latest in an atomic.Pointer, so Snapshot never waits on
// the socket; another streams events into Events. Both stop when the
// context given to Attach ends; Wait waits for them.
type Attached struct {
	c      *Client
	snap   atomic.Pointer[swarm.Snapshot]
	events chan swarm.Event
	wg     sync.WaitGroup
}

// Attach fetches a first snapshot (failing with ErrNoDaemon when no
// daemon answers) and starts polling every `every` (0 means 500 ms).
func (c *Client) Attach(ctx context.Context, every time.Duration) (*Attached, error) {
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	first, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	r := &Attached{c: c, events: make(chan swarm.Event, 64)}
	r.snap.Store(first)
	r.wg.Go(func() { r.poll(ctx, every) })
	r.wg.Go(func() {
		defer close(r.events)
		c.Events(ctx, func(ev swarm.Event) {
			select {
			case r.events <- ev:
			default: // the UI is behind; it sees the state in the next snapshot
			}
		})
	})
	return r, nil
}

func (r *Attached) poll(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// One request at a time, each bounded: a stuck daemon leaves the
		// UI showing the last state rather than piling up requests.
		rctx, cancel := context.WithTimeout(ctx, 10*every)
		s, err := r.c.Snapshot(rctx)
		cancel()
		if err == nil {
			r.snap.Store(s)
		}
	}
}

// Wait returns once the goroutines Attach started have ended.
func (r *Attached) Wait() { r.wg.Wait() }

// Snapshot is the last snapshot fetched; it never blocks.
func (r *Attached) Snapshot() *swarm.Snapshot { return r.snap.Load() }

// Events delivers the daemon's events; it is closed when the stream ends.
func (r *Attached) Events() <-chan swarm.Event { return r.events }

// AddSource adds a magnet link or a .torrent file (read here and sent, so
// the daemon need not see the same files) to the daemon's download dir.
func (r *Attached) AddSource(ctx context.Context, source string) error {
	req := AddRequest{Source: source}
	if !strings.HasPrefix(strings.ToLower(source), "magnet:") && !strings.HasPrefix(source, "http://") &&
		!strings.HasPrefix(source, "https://") {
		b, err := os.ReadFile(source)
		if err != nil {
			return err
		}
		req = AddRequest{Metainfo: b}
	}
	_, err := r.c.Add(ctx, req)
	return err
}

func idString(ih swarm.InfoHash) string { return hex.EncodeToString(ih[:]) }

// Pause, Resume, Remove and SetFilePriority act on the daemon's torrent.
func (r *Attached) Pause(ih swarm.InfoHash) error {
	_, err := r.c.Pause(context.Background(), idString(ih))
	return err
}

func (r *Attached) Resume(ih swarm.InfoHash) error {
	_, err := r.c.Resume(context.Background(), idString(ih))
	return err
}

func (r *Attached) Remove(ih swarm.InfoHash, deleteData bool) error {
	_, err := r.c.Remove(context.Background(), idString(ih), deleteData)
	return err
}

func (r *Attached) SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error {
	name := map[swarm.Priority]string{swarm.PrioritySkip: "skip", swarm.PriorityNormal: "normal", swarm.PriorityHigh: "high"}[p]
	if name == "" {
		return errors.New("unknown priority")
	}
	_, err := r.c.Set(context.Background(), idString(ih), SetRequest{Files: []FilePriority{{Index: file, Priority: name}}})
	return err
}
