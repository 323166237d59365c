package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/swarm"
)

// seedDaemonFlags are seed's --daemon and --socket: hand the folder to a
// running daemon instead of serving it from this process.
type seedDaemonFlags struct {
	on     bool
	socket string
}

func (f *seedDaemonFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.on, "daemon", false, "hand the folder to the running daemon (shoal daemon) and return once it seeds")
	cmd.Flags().StringVar(&f.socket, "socket", "", "with --daemon: the daemon's control socket (default: as shoal daemon picks it)")
}

// seed hashes the folder here (or finds it unchanged in the cache, as seed
// does), then sends the torrent to the daemon, which seeds it from where it
// is. The daemon is asked first, so a missing one is known before a long
// hash.
func (f *seedDaemonFlags) seed(a *app, sf *sessionFlags, cfg swarm.Config, source func() (swarm.AddOptions, string, error)) error {
	sock := f.socket
	if sock == "" {
		sock = daemon.SocketPath(cfg.StateDir)
	}
	c := daemon.Dial(sock)
	if _, err := c.Status(a.ctx); err != nil {
		return clientError(err)
	}
	add, torrentPath, err := source()
	if err != nil {
		return err
	}
	t := add.Torrent
	added, err := c.Add(a.ctx, daemon.AddRequest{Metainfo: t.Bytes(), Dir: add.Dir, Trusted: add.Trusted, SuperSeed: add.SuperSeed})
	if err != nil {
		return clientError(err)
	}
	if sf.json {
		return a.printJSON(struct {
			daemon.Added
			Torrent string `json:"torrent"`
			Magnet  string `json:"magnet"`
		}{added, torrentPath, t.Magnet()})
	}
	fmt.Fprintf(a.stdout, "The daemon seeds %s as %d (%s) from %s\n", t.Info.Name, added.ID, added.InfoHash[:8], add.Dir)
	fmt.Fprintf(a.stdout, "Torrent: %s\nMagnet:  %s\n", torrentPath, t.Magnet())
	return nil
}
