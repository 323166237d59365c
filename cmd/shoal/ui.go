package main

import (
	"context"
	"errors"
	"time"

	"github.com/shoal-bt/shoal/swarm"
	"github.com/shoal-bt/shoal/tui"
)

// engine adapts a Session to what the UI needs: the UI hands over what the
// user typed, and this turns it into a torrent to add.
type engine struct {
	*swarm.Session
	dir string   // where torrents added from the UI download to
	lib *library // remembers what the user adds and removes
}

var _ tui.Engine = engine{}

func (e engine) AddSource(ctx context.Context, arg string) error {
	src, err := loadTransfer(arg)
	if err != nil {
		return err
	}
	add := swarm.AddOptions{Torrent: src.torrent, Magnet: src.magnet, Dir: absPath(e.dir)}
	if _, err := e.Add(ctx, add); err != nil {
		return addError(err)
	}
	return e.lib.remember(add)
}

func (e engine) Remove(ih swarm.InfoHash, deleteData bool) error {
	if err := e.Session.Remove(ih, deleteData); err != nil {
		return err
	}
	return e.lib.forget(ih)
}

func (e engine) Pause(ih swarm.InfoHash) error {
	if err := e.Session.Pause(ih); err != nil {
		return err
	}
	return e.lib.setPaused(ih, true)
}

func (e engine) Resume(ih swarm.InfoHash) error {
	if err := e.Session.Resume(ih); err != nil {
		return err
	}
	return e.lib.setPaused(ih, false)
}

// runUI shows the session in the terminal UI, opened on ih. With
// stopWhenDone it closes itself shortly after ih is verified, as the
// line-printing mode would exit.
func runUI(ctx context.Context, a *app, s *swarm.Session, lib *library, ih swarm.InfoHash, dir string, stopWhenDone bool) error {
	uiCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stopWhenDone {
		go func() {
			tick := time.NewTicker(250 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-uiCtx.Done():
					return
				case <-tick.C:
				}
				if t := torrentOf(s.Snapshot(), ih); t != nil && t.Verified {
					// Long enough to see the finished state before the UI goes.
					time.Sleep(1500 * time.Millisecond)
					cancel()
					return
				}
			}
		}()
	}
	err := tui.Run(uiCtx, engine{Session: s, dir: dir, lib: lib}, tui.Options{Open: ih})
	t := torrentOf(s.Snapshot(), ih)
	// Ctrl-C, or the user quitting the UI (q, or Ctrl-C read as a key),
	// unless the UI closed itself because the download finished.
	stopped := ctx.Err() != nil || (err == nil && !(stopWhenDone && t != nil && t.Verified))
	switch {
	case stopped && t != nil && t.Stall == swarm.StallDiskFull:
		return withCode(exitDiskFull, errors.New("stopped while the disk was full"))
	case stopped:
		// follow decides what stopping means: done, or to be resumed.
		return context.Canceled
	}
	return err
}
