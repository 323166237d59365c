package main

import (
	"context"
	"errors"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/swarm"
)

// library is daemon.Library as the one-process commands (seed, get, ui)
// use it: the same library.json the daemon restores from.
type library struct {
	dir string // the state dir
	lib *daemon.Library
}

func (l *library) d() *daemon.Library {
	if l.lib == nil {
		l.lib = &daemon.Library{Dir: l.dir}
	}
	return l.lib
}

func (l *library) load() ([]daemon.Entry, error) {
	es, err := l.d().Load()
	if errors.Is(err, daemon.ErrLibraryDamaged) {
		return nil, usageErrorf("%w", err)
	}
	return es, err
}

func (l *library) remember(add swarm.AddOptions) error { return l.d().Remember(add) }
func (l *library) forget(ih swarm.InfoHash) error      { return l.d().Forget(ih) }
func (l *library) setPaused(ih swarm.InfoHash, paused bool) error {
	return l.d().SetPaused(ih, paused)
}

// add adds a torrent to the engine and remembers it for 'shoal ui'; failing
// to remember is worth a warning, not the download.
func (l *library) add(ctx context.Context, a *app, s *swarm.Session, add swarm.AddOptions) (swarm.InfoHash, error) {
	ih, err := s.Add(ctx, add)
	if err != nil {
		return ih, addError(err)
	}
	if err := l.remember(add); err != nil {
		a.log.Warn("Could not remember the torrent for shoal ui", "err", err)
	}
	return ih, nil
}
