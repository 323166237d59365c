// Command shoal is a BitTorrent client with a DHT: it creates, seeds and
// downloads torrents, runs a LAN tracker and a DHT bootstrap node, and shows
// its swarms in a terminal UI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
