package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/daemon"
)

// clientFlags are the flags of every command that drives a running daemon.
type clientFlags struct {
	socket   string
	stateDir string
	json     bool
}

func (f *clientFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.socket, "socket", "", "the daemon's control socket (default: as shoal daemon picks it)")
	fs.StringVar(&f.stateDir, "state-dir", "", "the daemon's state dir, to find its socket there when $XDG_RUNTIME_DIR is unset")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text")
}

// socketPath finds the socket the daemon listens on, as the daemon does.
func (f *clientFlags) socketPath() (string, error) {
	if f.socket != "" {
		return f.socket, nil
	}
	dir := f.stateDir
	if dir == "" {
		fc, err := loadConfig()
		if err != nil {
			return "", err
		}
		dir = fc.StateDir
	}
	if dir == "" {
		dir = defaultStateDir()
	}
	return daemon.SocketPath(dir), nil
}

func (f *clientFlags) client() (*daemon.Client, error) {
	p, err := f.socketPath()
	if err != nil {
		return nil, err
	}
	return daemon.Dial(p), nil
}

// clientError maps what the daemon answered to the README's exit codes.
func clientError(err error) error {
	var de *daemon.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, daemon.ErrNoDaemon):
		return withCode(exitNoDaemon, fmt.Errorf("%w; start one with 'shoal daemon' (or 'systemctl --user start shoal')", err))
	case errors.As(err, &de):
		switch de.Kind {
		case daemon.KindBadRequest, daemon.KindForbidden, daemon.KindTooLarge:
			return usageErrorf("%w", err)
		case daemon.KindNotFound:
			return withCode(exitNotFound, err)
		case daemon.KindConflict:
			return withCode(exitConflict, err)
		}
	case errors.Is(err, context.Canceled):
		return err
	}
	return err
}

// printJSON prints v as one line of JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
