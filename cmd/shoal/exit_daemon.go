package main

import "slices"

// Exit codes of the daemon and its clients; never renumber one.
const (
	exitNoDaemon      = 10 // a client command found no daemon running
	exitDaemonRunning = 11 // shoal daemon: another daemon holds the state dir
)

// The daemon's codes join exit.go's table (and so --help and the README
// check) in order.
func init() {
	exitCodes = append(exitCodes,
		struct {
			code    int
			meaning string
		}{exitNoDaemon, "`add`, `ls`, `show`, `pause`, `resume`, `verify ID`, `rm`, `set`, `seed --daemon`: no daemon is running (start one with `shoal daemon`)"},
		struct {
			code    int
			meaning string
		}{exitDaemonRunning, "`daemon`: another daemon holds the state dir (the message names its PID)"})
	slices.SortStableFunc(exitCodes, func(a, b struct {
		code    int
		meaning string
	}) int {
		return a.code - b.code
	})
}
