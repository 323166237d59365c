package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/shoal-bt/shoal/swarm"
)

// snapshotMsg carries the engine's latest Snapshot (nil before the first).
type snapshotMsg struct{ snap *swarm.Snapshot }

// eventMsg is one engine Event.
type eventMsg swarm.Event

// eventsClosedMsg says the engine closed its Events channel.
type eventsClosedMsg struct{}

// opDoneMsg reports an engine command the user asked for.
type opDoneMsg struct {
	what string // "add", "pause", ... as the status line says it
	name string
	err  error
}

func fetchSnapshot(e Engine) tea.Cmd {
	return func() tea.Msg { return snapshotMsg{e.Snapshot()} }
}

// pollSnapshot is re-armed by each snapshotMsg, so exactly one is in flight.
func pollSnapshot(e Engine, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return snapshotMsg{e.Snapshot()} })
}

// waitEvent blocks in its own goroutine, never in Update, and gives up when
// the program's context ends so no goroutine outlives the UI for long.
func waitEvent(ctx context.Context, ch <-chan swarm.Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case ev, ok := <-ch:
			if !ok {
				return eventsClosedMsg{}
			}
			return eventMsg(ev)
		case <-ctx.Done():
			return nil
		}
	}
}

// addSource has no deadline of its own: adding a .torrent whose data is
// already on disk checks that data first, which takes as long as it takes.
// It runs in the Cmd's goroutine, so the UI stays live meanwhile.
func addSource(ctx context.Context, e Engine, src string) tea.Cmd {
	return func() tea.Msg {
		return opDoneMsg{what: "add", name: src, err: e.AddSource(ctx, src)}
	}
}

func pauseTorrent(e Engine, ih swarm.InfoHash, name string) tea.Cmd {
	return func() tea.Msg { return opDoneMsg{what: "pause", name: name, err: e.Pause(ih)} }
}

func resumeTorrent(e Engine, ih swarm.InfoHash, name string) tea.Cmd {
	return func() tea.Msg { return opDoneMsg{what: "resume", name: name, err: e.Resume(ih)} }
}

func removeTorrent(e Engine, ih swarm.InfoHash, name string, deleteData bool) tea.Cmd {
	what := "remove"
	if deleteData {
		what = "remove and delete data of"
	}
	return func() tea.Msg { return opDoneMsg{what: what, name: name, err: e.Remove(ih, deleteData)} }
}

func setPriority(e Engine, ih swarm.InfoHash, file int, path string, p swarm.Priority) tea.Cmd {
	return func() tea.Msg {
		return opDoneMsg{what: "set priority " + priorityName(p) + " on", name: path,
			err: e.SetFilePriority(ih, file, p)}
	}
}

// describe turns an Event into one status-line sentence.
func describe(ev swarm.Event) (text string, bad bool) {
	name := ev.Name
	if name == "" {
		name = shortHash(ev.InfoHash)
	}
	switch ev.Kind {
	case swarm.EventAdded:
		return "added " + name, false
	case swarm.EventMetadata:
		return "got metadata of " + name, false
	case swarm.EventCompleted:
		return "completed " + name, false
	case swarm.EventVerified:
		return "verified files of " + name, false
	case swarm.EventPaused:
		return "paused " + name, false
	case swarm.EventResumed:
		return "resumed " + name, false
	case swarm.EventRemoved:
		return "removed " + name, false
	case swarm.EventPeerBanned:
		return fmt.Sprintf("banned peer %s of %s: %s", ev.Peer, name, ev.Msg), true
	case swarm.EventTrackerError:
		return fmt.Sprintf("tracker error on %s: %s", name, ev.Msg), true
	case swarm.EventDiskFull:
		return fmt.Sprintf("disk full: %s stopped: %s", name, ev.Msg), true
	case swarm.EventError:
		return fmt.Sprintf("error in %s: %s", name, ev.Msg), true
	case swarm.EventAlreadyHad:
		return fmt.Sprintf("%s: %s", name, ev.Msg), false
	case swarm.EventWebSeedDropped:
		return fmt.Sprintf("web seed %s of %s dropped: %s", ev.Peer, name, ev.Msg), true
	}
	return fmt.Sprintf("%s %s %s", ev.Kind, name, ev.Msg), false
}

const copyWhat = "copy the magnet link of"

// copyText runs the clipboard write off the Update goroutine: it is a
// write to the terminal, which may block behind a slow ssh link.
func copyText(clip func(string) error, what, name, text string) tea.Cmd {
	return func() tea.Msg { return opDoneMsg{what: what, name: name, err: clip(text)} }
}

// osc52Copy asks the terminal to put s on the clipboard. Inside tmux the
// plain sequence is right (tmux takes it with set-clipboard on and passes
// it to the outer terminal); GNU screen needs it wrapped to pass through.
func osc52Copy(s string) error {
	seq := osc52.New(s)
	if os.Getenv("TMUX") == "" && strings.HasPrefix(os.Getenv("TERM"), "screen") {
		seq = seq.Screen()
	}
	_, err := seq.WriteTo(os.Stdout)
	return err
}
