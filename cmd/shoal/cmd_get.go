package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-bt/shoal/swarm"
)

func init() { register(newGetCmd) }

func newGetCmd(a *app) *cobra.Command {
	var (
		sf       sessionFlags
		sel      selectFlags
		out      string
		seed     bool
		force    bool
		peers    []string
		trackers []string
		seq      bool
		reuse    reuseFlags
	)
	cmd := &cobra.Command{
		Use:   "get FILE.torrent|MAGNET",
		Short: "Download a torrent or magnet link, verifying every piece",
		Long: `Get downloads into -o DIR (the torrent's top-level file or folder is
created inside it), checks every piece against its SHA-1 before it counts and
every file against its BLAKE3 digest when the torrent carries one, and exits 0
once everything is verified; with --seed it keeps serving afterwards.
Existing files that differ from the torrent are never overwritten without
--force; a partial download resumes.

--only, --skip and --files choose files (a magnet's so= does when they are
not given); skipped files are never created, and get exits 0 once the chosen
files are verified.

Before fetching, get looks for each wanted file that is not in -o DIR among
the files of the torrents in shoal's library, and in the folders named with
--reuse, by length and then v2 root or BLAKE3 digest. What it finds is put in
place (a reflink where the file system can, a copy otherwise, a hard link
with --reuse-link) and checked piece by piece like everything else; it says
"already had N of M files".`,
		Args: exactArgs("FILE.torrent|MAGNET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := sf.config(a)
			if err != nil {
				return err
			}
			src, info, dn, err := loadDownload(args[0])
			if err != nil {
				return err
			}
			selection, err := sel.selection()
			if err != nil {
				return err
			}
			if err := checkSelection(selection, info); err != nil {
				return err
			}
			if err := checkOutput(out, info, dn); err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return cannotWrite(out, err)
			}
			lib := &library{dir: cfg.StateDir}
			ru, err := reuse.options(lib, src.infoHash())
			if err != nil {
				return err
			}
			// Absolute, so that the UI and the library say where the data is
			// whatever the current directory was.
			add := swarm.AddOptions{Torrent: src.torrent, Magnet: src.magnet, Dir: absPath(out),
				Peers: peers, Trackers: trackers, Force: force, Sequential: seq,
				Select: selection, Reuse: ru}
			return runSession(a, &sf, cfg, func(ctx context.Context, s *swarm.Session) error {
				stop := reportChecking(a, &sf, s, add)
				ih, err := lib.add(ctx, a, s, add)
				stop()
				if ed := (*existingDataError)(nil); errors.As(err, &ed) {
					ed.dir = add.Dir
				}
				if err != nil {
					return err
				}
				if sf.json {
					a.emitJSON(jsonStart{Type: "start", Command: "get", InfoHash: hex.EncodeToString(ih[:]), Name: nameOf(src),
						Dir: absPath(out), Listen: s.Addr().String()})
				} else {
					fmt.Fprintf(a.stdout, "Downloading %x into %s (listening on %s)\n", ih, out, s.Addr())
				}
				return follow(ctx, a, &sf, s, lib, ih, out, !seed)
			})
		},
	}
	sf.add(cmd, "dht-get")
	fs := cmd.Flags()
	fs.StringVarP(&out, "output", "o", ".", "directory to download into")
	fs.BoolVar(&seed, "seed", false, "keep seeding after the download is verified, until interrupted")
	fs.BoolVar(&force, "force", false, "overwrite existing files that differ from the torrent")
	fs.StringArrayVar(&peers, "peer", nil, "a peer to connect to, HOST:PORT (repeatable)")
	fs.StringArrayVar(&trackers, "tracker", nil, "an extra tracker announce URL (repeatable)")
	fs.BoolVar(&seq, "sequential", false, "download in order (rarest first inside a sliding window), to use the data while it arrives")
	sel.add(fs)
	reuse.add(fs)
	return cmd
}

// follow shows a torrent until it is done (when stopWhenDone) or the user
// stops it: in the terminal UI when a person is watching, else as lines.
func follow(ctx context.Context, a *app, sf *sessionFlags, s *swarm.Session, lib *library, ih swarm.InfoHash, dir string, stopWhenDone bool) error {
	r := newReporter(a, sf, ih)
	var (
		diskFull   bool
		fullDone   int64  // DoneBytes when the disk was last seen full
		errMsg     string // from an error event, until a snapshot shows it
		errPending time.Time
	)
	// A magnet's file list arrives with its metadata: the output tree is
	// checked then, as get checks a .torrent's before it starts, so that a
	// file in the way or a symlink out is said as such.
	outputChecked := sf.cmd == nil || (sf.cmd.Name() != "get" && sf.cmd.Name() != "stream") // seed's data is there already
	done := func(ev *swarm.Event, t *swarm.TorrentSnapshot) (bool, error) {
		if !outputChecked && len(t.Files) > 0 {
			outputChecked = true
			if err := checkOutput(dir, infoOfSnapshot(t), ""); err != nil {
				return true, err
			}
		}
		if ev != nil {
			switch ev.Kind {
			case swarm.EventError:
				// The snapshot with the error's value may be a moment behind
				// the event; it decides the exit code.
				errMsg, errPending = ev.Msg, time.Now()
			case swarm.EventDiskFull:
				diskFull, fullDone = true, t.DoneBytes
			}
		}
		if errMsg != "" && t.State != swarm.StateError && time.Since(errPending) > 3*time.Second {
			return true, torrentError(t.Name, errMsg)
		}
		if t.State == swarm.StateError {
			if t.Cause != nil {
				return true, addError(t.Cause)
			}
			return true, torrentError(t.Name, t.Err)
		}
		// The snapshot lags the event, and the engine clears its stall
		// to retry every few seconds: only progress proves there is space.
		if t.Stall == swarm.StallDiskFull {
			diskFull, fullDone = true, t.DoneBytes
		} else if diskFull && t.DoneBytes > fullDone {
			diskFull = false
		}
		if stopWhenDone && t.State == swarm.StateSeeding && len(t.Edited) > 0 && t.LostToEdits > 0 {
			// Nothing left that shoal may fetch, and not all of it is here:
			// a file the user edited after it was complete.
			return true, withCode(exitConflict, fmt.Errorf("%s: %s; pass --force to download them again", t.Name, t.Stalled))
		}
		return stopWhenDone && t.Verified, nil
	}
	var err error
	if !sf.noTUI && !sf.json && isTerminal(a.stdout) {
		obsCtx, stopObserving := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { r.observeEvery(obsCtx, s, 250*time.Millisecond) })
		err = runUI(ctx, a, s, lib, ih, dir, stopWhenDone)
		stopObserving()
		wg.Wait()
	} else {
		err = r.watch(ctx, s, done)
	}
	snap := s.Snapshot()
	if errors.Is(err, context.Canceled) {
		// Stopped by the user (Ctrl-C, or q in the UI).
		switch t := torrentOf(snap, ih); {
		case diskFull:
			err = withCode(exitDiskFull, errors.New("stopped while the disk was full"))
		case t != nil && t.Verified:
			err = nil // it finished, then seeded until the user stopped it
		default:
			err = errInterrupted
		}
	}
	r.summary(snap, err)
	return err
}

// reportChecking prints progress lines while Add checks the data already
// on disk (Add returns once the check is done), and stops when called.
func reportChecking(a *app, sf *sessionFlags, s *swarm.Session, add swarm.AddOptions) (stop func()) {
	if add.Torrent == nil {
		return func() {}
	}
	r := newReporter(a, sf, add.Torrent.InfoHash)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(r.every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			snap := s.Snapshot()
			if t := torrentOf(snap, r.ih); t != nil && t.State == swarm.StateChecking {
				r.progress(snap)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// torrentError is the engine's error text for a torrent, with its name in
// front unless the text names it already ("dataset: create dataset: ...").
func torrentError(name, msg string) error {
	if name == "" || strings.Contains(msg, name) {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %s", name, msg)
}
