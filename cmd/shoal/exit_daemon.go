package main

// Exit codes of the daemon and its clients (the README lists them with the
// others in exit.go; never renumber one).
const (
	exitNoDaemon      = 10 // a client command found no daemon running
	exitDaemonRunning = 11 // shoal daemon: another daemon holds the state dir
)
