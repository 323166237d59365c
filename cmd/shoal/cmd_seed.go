package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func init() { register(newSeedCmd) }

func newSeedCmd(a *app) *cobra.Command {
	var (
		sf       sessionFlags
		cf       createFlags
		data     string
		checkMiB int64
		toDaemon seedDaemonFlags
		super    bool
	)
	cmd := &cobra.Command{
		Use:   "seed DIR|FILE|FILE.torrent",
		Short: "Share a folder or file (or the data of a .torrent) until interrupted",
		Long: `Seed hashes a folder or file, prints its magnet link and the path of its
.torrent, and serves it until interrupted. Seeding the same unchanged folder
again starts at once: the torrent and the verified pieces are remembered.
Given a .torrent, seed checks the data in --data and serves what is there.

With --super-seed (BEP 16), a first seed advertises no pieces and offers each
peer two pieces nobody has yet, the next once another peer has one: it sends
about one copy while the peers trade the rest, then seeds normally once every
piece reached a peer. It suits a seed with a slow uplink and many leechers
that can reach each other; with few of them it is slower than a normal seed.`,
		Args: exactArgs("DIR|FILE|FILE.torrent"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := sf.config(a)
			if err != nil {
				return err
			}
			cfg.RestartDigestBytes = -1
			if checkMiB > 0 {
				cfg.RestartDigestBytes = min(checkMiB, 1<<40) << 20
			}
			opts, err := cf.options(a)
			if err != nil {
				return err
			}
			if toDaemon.on {
				return toDaemon.seed(a, &sf, cfg, func() (swarm.AddOptions, string, error) {
					add, path, change, err := seedSource(a, cfg.StateDir, args[0], data, opts)
					if err == nil {
						change.say(a, &sf, add.Torrent)
					}
					add.SuperSeed = super
					return add, path, err
				})
			}
			add, torrentPath, change, err := seedSource(a, cfg.StateDir, args[0], data, opts)
			if err != nil {
				return err
			}
			change.say(a, &sf, add.Torrent)
			add.SuperSeed = super
			warnLinksOutside(a, add.Dir, add.Torrent.Info.Name)
			err = runSession(a, &sf, cfg, func(ctx context.Context, s *swarm.Session) error {
				lib := &library{dir: cfg.StateDir}
				ih, err := lib.add(ctx, a, s, add)
				if err != nil {
					return err
				}
				t := add.Torrent
				withPeer := ""
				if peer := reachableAddr(s.Addr()); peer != "" {
					withPeer = t.Magnet(peer)
				}
				files, _ := dataFiles(t.Info)
				if sf.json {
					ihs := hex.EncodeToString(ih[:])
					a.emitJSON(jsonStart{Type: "start", Command: "seed", InfoHash: ihs, Name: t.Info.Name,
						Dir: absPath(add.Dir), Listen: s.Addr().String(), Files: files})
					a.emitJSON(jsonMagnet{Type: "magnet", InfoHash: ihs, Magnet: t.Magnet(), MagnetWithPeer: withPeer,
						Torrent: absPath(torrentPath)})
				} else {
					fmt.Fprintf(a.stdout, "Seeding %s (%d file(s)) from %s\n", t.Info.Name, files, add.Dir)
					fmt.Fprintf(a.stdout, "Torrent: %s\n", torrentPath)
					fmt.Fprintf(a.stdout, "Magnet:  %s\n", t.Magnet())
					if withPeer != "" {
						fmt.Fprintf(a.stdout, "Magnet with this peer: %s\n", withPeer)
					}
					if super {
						fmt.Fprintln(a.stdout, "Super-seeding: each peer is offered two pieces nobody has at a time, until every piece reached a peer.")
					}
					fmt.Fprintf(a.stdout, "Listening on %s; press Ctrl-C to stop.\n", s.Addr())
				}
				return follow(ctx, a, &sf, s, lib, ih, add.Dir, false)
			})
			// Seeding ends when the user stops it; that is success.
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	sf.add(cmd, "dht-seed")
	toDaemon.add(cmd)
	cf.add(cmd, false)
	cmd.Flags().BoolVar(&super, "super-seed", false, "BEP 16 initial seeding: offer each peer two pieces nobody has at a time, "+
		"so little more than one copy leaves this seed (with --daemon, the daemon super-seeds it)")
	cmd.Flags().StringVar(&data, "data", ".", "for a .torrent: the directory that holds its top-level file or folder")
	cmd.Flags().Int64Var(&checkMiB, "restart-check-mib", 1024, "after a restart that trusted file sizes and mtimes, check up to this many MiB "+
		"of the smallest files against their BLAKE3 digests, in the background (0 = off)")
	return cmd
}

// seedSource turns the argument into what the engine adds: a .torrent and
// its data, or a folder hashed now (or remembered from last time). change
// is set when the folder was shared before and has changed since.
func seedSource(a *app, stateDir, arg, dataArg string, opts pieces.CreateOptions) (add swarm.AddOptions, torrentPath string, change *folderChange, err error) {
	if _, err := os.Stat(arg); errors.Is(err, fs.ErrNotExist) {
		return add, "", nil, withCode(exitNotFound, fmt.Errorf("%s: no such file or folder", arg))
	}
	if !isDir(arg) && filepath.Ext(arg) == ".torrent" {
		src, err := loadTransfer(arg)
		if err != nil {
			return add, "", nil, err
		}
		dir, err := dataDir(dataArg, src.torrent.Info.Name)
		if err != nil {
			return add, "", nil, err
		}
		return swarm.AddOptions{Torrent: src.torrent, Dir: absPath(dir)}, arg, nil, nil
	}
	abs, err := filepath.Abs(arg)
	if err == nil {
		// Storage refuses to follow links out of the data directory, so
		// name the folder by where it really is.
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return add, "", nil, err
	}
	cache := seedCache{dir: stateDir}
	t, old, changed := cache.lookup(abs, opts)
	if t != nil {
		a.log.Info("Folder unchanged since it was hashed", "path", abs)
		// Not Trusted: the engine's resume state decides, and re-checks a
		// file that changed in a way size and mtime cannot show.
		return swarm.AddOptions{Torrent: t, Dir: filepath.Dir(abs)}, cache.torrentPath(t.InfoHash), nil, nil
	}
	opts.Progress = newHashProgress(a, "Hashing")
	t, err = pieces.Create(a.ctx, abs, opts)
	if err != nil {
		return add, "", nil, classifyCreateErr(err)
	}
	path, err := cache.store(abs, opts, t)
	if err != nil {
		return add, "", nil, fmt.Errorf("save torrent: %w", err)
	}
	if old != nil && old.InfoHash != t.InfoHash {
		change = &folderChange{dir: abs, files: changed, old: old, oldPath: cache.torrentPath(old.InfoHash)}
	}
	return swarm.AddOptions{Torrent: t, Dir: filepath.Dir(abs), Trusted: true}, path, change, nil
}

// folderChange is a shared folder that changed since it was last shared:
// its torrent, and so its magnet link, are new.
type folderChange struct {
	dir     string
	files   int // of the old torrent's files, changed or gone
	old     *pieces.Torrent
	oldPath string
}

type jsonChanged struct {
	Type        string `json:"type"` // "changed"
	Dir         string `json:"dir"`
	Files       int    `json:"files"`
	InfoHash    string `json:"infohash"`
	OldInfoHash string `json:"oldInfohash"`
	OldTorrent  string `json:"oldTorrent"`
}

// say tells the user, before the new magnet link, that the old one is no
// longer served, and how to keep serving the old data if it is intact.
func (c *folderChange) say(a *app, sf *sessionFlags, t *pieces.Torrent) {
	if c == nil {
		return
	}
	if sf.json {
		a.emitJSON(jsonChanged{Type: "changed", Dir: c.dir, Files: c.files, InfoHash: hex.EncodeToString(t.InfoHash[:]),
			OldInfoHash: hex.EncodeToString(c.old.InfoHash[:]), OldTorrent: c.oldPath})
		return
	}
	fmt.Fprintf(a.stdout, "%s changed since it was last shared (%s): this is a new torrent with a new magnet link, "+
		"and the old one (%x) is no longer served.\n", c.dir, plural(c.files, "file"), c.old.InfoHash)
	fmt.Fprintf(a.stdout, "To serve the old data too, where it is still intact: shoal seed %s --data %s\n", c.oldPath, filepath.Dir(c.dir))
}

// warnLinksOutside says once in the log that the shared folder has symlinks
// leading out of it: they are served (the user placed them), but someone
// reading the log should know the share reaches beyond the folder.
func warnLinksOutside(a *app, dir, name string) {
	top, err := filepath.EvalSymlinks(filepath.Join(dir, name))
	if err != nil {
		return
	}
	var n int
	var first, target string
	filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		to, err := filepath.EvalSymlinks(p)
		if rel, rerr := filepath.Rel(top, to); err == nil && (rerr != nil || !filepath.IsLocal(rel)) {
			if n++; n == 1 {
				first, target = p, to
			}
		}
		return nil
	})
	if n > 0 {
		a.log.Warn("Serving files through symlinks that lead outside the shared folder", "links", n, "first", first, "target", target)
	}
}

// reachableAddr names an address other machines can reach us on: the listen
// address if it is specific, else the first non-loopback interface address.
func reachableAddr(ap netip.AddrPort) string {
	if ap.Addr().IsValid() && !ap.Addr().IsUnspecified() {
		return ap.String()
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return net.JoinHostPort(ipn.IP.String(), fmt.Sprint(ap.Port()))
		}
	}
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()).String()
}

// addError maps the engine's refusals to exit codes.
func addError(err error) error {
	switch {
	case errors.Is(err, swarm.ErrExistingData):
		return withCode(exitConflict, &existingDataError{err: err})
	case errors.Is(err, pieces.ErrUnsafePath), errors.Is(err, pieces.ErrBadTorrent), errors.Is(err, pieces.ErrBadSelection):
		return usageErrorf("%w", err)
	}
	return err
}

// existingDataError says once what the engine's ErrExistingData says with
// its package's prefix and a hint of its own ("PATH: swarm: existing files
// differ from the torrent (use force to overwrite)"), and what to do.
type existingDataError struct {
	err error
	dir string // the download folder, when known: the path is then given whole
}

func (e *existingDataError) Error() string {
	msg := strings.TrimSuffix(e.err.Error(), " (use force to overwrite)")
	path, rest, ok := strings.Cut(msg, ": swarm: existing files differ")
	if !ok {
		return msg + "; pass --force to overwrite it, or -o to download elsewhere"
	}
	if e.dir != "" {
		path = filepath.Join(e.dir, filepath.FromSlash(path))
	}
	return path + ": existing file differs" + rest + "; pass --force to overwrite it, or -o to download elsewhere"
}

func (e *existingDataError) Unwrap() error { return e.err }
