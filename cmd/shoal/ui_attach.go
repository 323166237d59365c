package main

import (
	"context"
	"errors"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/tui"
)

var _ tui.Engine = (*daemon.Attached)(nil)

// attachUI opens the terminal UI over a running daemon. It reports false
// when no daemon answers, so 'shoal ui' runs the engine itself as before.
// Quitting the UI detaches: the daemon and its torrents keep running.
func attachUI(a *app, socket, stateDir string) (bool, error) {
	if socket == "" {
		socket = daemon.SocketPath(stateDir)
	}
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	r, err := daemon.Dial(socket).Attach(ctx, 0)
	if errors.Is(err, daemon.ErrNoDaemon) {
		return false, nil
	}
	if err != nil {
		return true, clientError(err)
	}
	a.log.Info("Attached to the daemon", "socket", socket)
	err = tui.Run(ctx, r, tui.Options{})
	cancel()
	r.Wait()
	if a.ctx.Err() != nil {
		return true, nil // Ctrl-C is how people leave a UI
	}
	return true, err
}
