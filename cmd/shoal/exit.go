package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Exit codes are part of shoal's interface (the README lists them); scripts
// branch on them, so never renumber one.
const (
	exitOK          = 0
	exitFailure     = 1   // anything not covered below
	exitUsage       = 2   // bad flags, arguments or input files
	exitNotFound    = 3   // a named file, torrent or peer source does not exist
	exitVerify      = 4   // data on disk does not match the torrent
	exitDiskFull    = 5   // the disk filled up and the user asked to stop
	exitConflict    = 6   // existing files differ and --force was not given, or a file is in the way
	exitCannotWrite = 7   // the output folder cannot be written (permission denied, read-only)
	exitListen      = 8   // cannot listen on the address asked for (in use, not allowed)
	exitInterrupted = 130 // SIGINT/SIGTERM, as shells report it
)

// exitError carries the exit code a command wants alongside its error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err (nil stays nil).
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// errInterrupted is a download the user stopped before it finished. It
// matches context.Canceled, so commands for which stopping is the normal
// end (seed) can treat it as success.
var errInterrupted error = &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: %w", context.Canceled)}

// usageErrorf is for input the user can fix: it says what was wrong.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// codeOf picks the exit code for err: an explicit one wins, then what the
// error is, then a plain failure.
func codeOf(ctx context.Context, err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, syscall.ENOSPC):
		return exitDiskFull
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return exitInterrupted
	}
	return exitFailure
}
