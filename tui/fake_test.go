package tui

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"

	"github.com/shoal-bt/shoal/swarm"
)

// fakeEngine is a hand-written Engine: a snapshot it republishes after
// every command, the way the real engine's sampler would.
type fakeEngine struct {
	mu     sync.Mutex
	snap   *swarm.Snapshot
	events chan swarm.Event
	calls  []string
}

var _ Engine = (*fakeEngine)(nil)

func newFakeEngine(s *swarm.Snapshot) *fakeEngine {
	return &fakeEngine{snap: s, events: make(chan swarm.Event, 16)}
}

func (f *fakeEngine) Snapshot() *swarm.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeEngine) Events() <-chan swarm.Event { return f.events }

func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// update publishes a modified copy, never touching the published one.
func (f *fakeEngine) update(call string, fn func(s *swarm.Snapshot)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	c := *f.snap
	c.Torrents = append([]swarm.TorrentSnapshot(nil), f.snap.Torrents...)
	fn(&c)
	f.snap = &c
}

func (f *fakeEngine) find(s *swarm.Snapshot, ih swarm.InfoHash) *swarm.TorrentSnapshot {
	for i := range s.Torrents {
		if s.Torrents[i].InfoHash == ih {
			return &s.Torrents[i]
		}
	}
	return nil
}

func (f *fakeEngine) AddSource(_ context.Context, src string) error {
	u, err := url.Parse(src)
	if err != nil || u.Scheme != "magnet" {
		return errors.New("not a magnet link")
	}
	xt := u.Query().Get("xt")
	if !strings.HasPrefix(xt, "urn:btih:") {
		return errors.New("no btih in magnet")
	}
	f.update("add "+src, func(s *swarm.Snapshot) {
		s.Torrents = append(s.Torrents, swarm.TorrentSnapshot{
			InfoHash: hash(0x70), Name: u.Query().Get("dn"), Magnet: src,
			State: swarm.StateMetadata, ETA: -1, AddedAt: t0,
		})
	})
	f.events <- swarm.Event{Time: t0, Kind: swarm.EventAdded, InfoHash: hash(0x70), Name: u.Query().Get("dn")}
	return nil
}

func (f *fakeEngine) setState(call string, ih swarm.InfoHash, st swarm.State) error {
	var found bool
	f.update(call, func(s *swarm.Snapshot) {
		if t := f.find(s, ih); t != nil {
			t.State, found = st, true
		}
	})
	if !found {
		return errors.New("unknown torrent")
	}
	return nil
}

func (f *fakeEngine) Pause(ih swarm.InfoHash) error {
	return f.setState("pause "+shortHash(ih), ih, swarm.StatePaused)
}

func (f *fakeEngine) Resume(ih swarm.InfoHash) error {
	return f.setState("resume "+shortHash(ih), ih, swarm.StateDownloading)
}

func (f *fakeEngine) Remove(ih swarm.InfoHash, deleteData bool) error {
	call := "remove " + shortHash(ih)
	if deleteData {
		call += " delete"
	}
	f.update(call, func(s *swarm.Snapshot) {
		out := s.Torrents[:0:0]
		for _, t := range s.Torrents {
			if t.InfoHash != ih {
				out = append(out, t)
			}
		}
		s.Torrents = out
	})
	return nil
}

func (f *fakeEngine) SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error {
	f.update("prio "+shortHash(ih)+" "+string(rune('0'+file))+" "+priorityName(p), func(s *swarm.Snapshot) {
		if t := f.find(s, ih); t != nil && file < len(t.Files) {
			t.Files = append([]swarm.FileSnapshot(nil), t.Files...)
			t.Files[file].Priority = p
		}
	})
	return nil
}
