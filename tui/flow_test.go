package tui

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/shoal-bt/shoal/swarm"
)

// TestFlow_AddOpenPause drives the whole program as a user would: add a
// magnet in the input box, open its detail, pause it, quit.
func TestFlow_AddOpenPause(t *testing.T) {
	e := newFakeEngine(&swarm.Snapshot{Taken: t0})
	m := New(e, Options{Now: fixedNow, Refresh: 10 * time.Millisecond})
	m.ctx = t.Context() // what Run does: the event reader ends with the test
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitFor := func(what string, cond func(out []byte) bool) {
		t.Helper()
		t.Log("waiting for " + what)
		teatest.WaitFor(t, tm.Output(), cond,
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	contains := func(s string) func([]byte) bool {
		return func(out []byte) bool { return bytes.Contains(out, []byte(s)) }
	}

	waitFor("the empty list", contains("No torrents yet"))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
	waitFor("the input box", contains("Add a torrent"))
	tm.Type("magnet:?xt=urn:btih:7071727374757677787970717273747576777879&dn=flow-test")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	// Not just "flow-test": the added event can reach the status line
	// before the snapshot with the torrent reaches the list.
	waitFor("the new torrent in the list", contains("▸ flow-test"))

	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor("its detail", contains("fetching metadata"))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p")})
	waitFor("it paused", contains("paused"))

	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if final.page != pageDetail || final.current() == nil || final.current().State != swarm.StatePaused {
		t.Fatalf("final page %v torrent %+v, want the paused torrent's detail", final.page, final.current())
	}
	calls := e.Calls()
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "add magnet:?xt=urn:btih:7071") || calls[1] != "pause 70717273" {
		t.Fatalf("engine calls %q", calls)
	}
	if !slices.ContainsFunc(final.notes, func(n note) bool { return n.text == "added flow-test" }) {
		t.Fatalf("the added event never reached the status line: %+v", final.notes)
	}
}

// TestRun_StopsWithContext: the CLI stops the UI by cancelling ctx, and
// that is not an error.
func TestRun_StopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	e := newFakeEngine(fixtureSnapshot())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, Options{Refresh: 5 * time.Millisecond}, tea.WithInput(nil), tea.WithOutput(io.Discard))
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after ctx is done", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
}
