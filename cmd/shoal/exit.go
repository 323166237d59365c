package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
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

// exitCodes is the table shown by 'shoal --help' and in the README (a test
// keeps the two the same).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "done: downloaded and verified, or seeding stopped by the user"},
	{exitFailure, "an unexpected failure (the message says what)"},
	{exitUsage, "bad flags, arguments, configuration or input (a malformed torrent or magnet link, unsafe paths such as a symlink out of the download folder)"},
	{exitNotFound, "a named file or folder does not exist"},
	{exitVerify, "`verify`: data on disk does not match the torrent"},
	{exitDiskFull, "the disk filled up and the download was stopped"},
	{exitConflict, "existing files differ from the torrent (pass `--force`), a file is in the way of the download's folders, a file you edited after shoal had it complete lacks pieces (`--force` fetches them over your edit), or the output file exists"},
	{exitCannotWrite, "the download folder cannot be written to (permission denied, read-only file system)"},
	{exitListen, "cannot listen on the address asked for (in use by another program, or not allowed)"},
	{exitInterrupted, "interrupted (Ctrl-C, or q in the UI) before the download finished"},
}

// exitCodeHelp is exitCodes as plain text for --help.
func exitCodeHelp() string {
	s := "Exit codes:\n"
	for _, c := range exitCodes {
		s += fmt.Sprintf("  %3d  %s\n", c.code, strings.ReplaceAll(c.meaning, "`", ""))
	}
	return s
}

// listenError turns a failure to listen, wherever it comes from (the
// engine, the tracker, a DHT node), into one message shape and one exit
// code: "cannot listen on ADDR: address already in use".
func listenError(err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" {
		return err
	}
	// Only the system's refusal (in use, not allowed, no such address);
	// a malformed address is bad usage, said where it was parsed.
	var errno syscall.Errno
	if !errors.As(op.Err, &errno) {
		return err
	}
	addr := ""
	if op.Addr != nil {
		addr = op.Addr.String()
	}
	return withCode(exitListen, fmt.Errorf("cannot listen on %s (%s): %w", addr, op.Net, errno))
}

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
