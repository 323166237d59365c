package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/shoal-bt/shoal/swarm"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Goldens are plain text: the same bytes on every terminal and CI.
	lipgloss.SetColorProfile(termenv.Ascii)
	// The event reader and the program's goroutines end with the UI.
	// teatest leaves its SIGINT watcher behind by design.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest.NewTestModel.func2"))
}

// keys turns "j j enter" into key messages; a word of one rune is that
// rune, longer words are named keys.
func keyMsgs(seq string) []tea.KeyMsg {
	var out []tea.KeyMsg
	for _, w := range strings.Fields(seq) {
		switch w {
		case "enter":
			out = append(out, tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			out = append(out, tea.KeyMsg{Type: tea.KeyEsc})
		case "tab":
			out = append(out, tea.KeyMsg{Type: tea.KeyTab})
		case "shift+tab":
			out = append(out, tea.KeyMsg{Type: tea.KeyShiftTab})
		case "down":
			out = append(out, tea.KeyMsg{Type: tea.KeyDown})
		case "up":
			out = append(out, tea.KeyMsg{Type: tea.KeyUp})
		case "pgdown":
			out = append(out, tea.KeyMsg{Type: tea.KeyPgDown})
		case "space":
			out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		default:
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(w)})
		}
	}
	return out
}

// send feeds msgs to m and returns the new model and the last Cmd.
func send(t testing.TB, m Model, msgs ...tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, msg := range msgs {
		var tm tea.Model
		tm, cmd = m.Update(msg)
		m = tm.(Model)
	}
	return m, cmd
}

func press(t testing.TB, m Model, seq string) (Model, tea.Cmd) {
	t.Helper()
	var msgs []tea.Msg
	for _, k := range keyMsgs(seq) {
		msgs = append(msgs, k)
	}
	return send(t, m, msgs...)
}

// fixtureModel is a Model at w×h that has seen a minute and a half of
// snapshots ending in fixtureSnapshot.
func fixtureModel(t testing.TB, e Engine, w, h int) Model {
	t.Helper()
	m := New(e, Options{Now: fixedNow})
	m, _ = send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	for _, s := range withRates(fixtureSnapshot(), 90) {
		m, _ = send(t, m, snapshotMsg{s})
	}
	return m
}

// checkScreen asserts what every frame must satisfy: exactly h lines, none
// wider than w.
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, want <= %d: %q", i, lw, w, l)
		}
	}
}

// TestView goldens every screen at 80×24 and 120×40.
func TestView(t *testing.T) {
	views := []struct {
		name string
		keys string // pressed after the fixture snapshots
		prep func(m Model) Model
	}{
		{name: "list"},
		{name: "list_sorted_by_down", keys: "s s s s s"},
		{name: "list_filter", keys: "/ u b"},
		{name: "list_stalled", keys: "f f f f f"},
		{name: "peers", keys: "enter"},
		{name: "peers_scrolled", keys: "enter pgdown"},
		{name: "pieces", keys: "enter 2"},
		{name: "files", keys: "down enter 3 down down"},
		{name: "sources", keys: "enter 4"},
		{name: "rates", keys: "enter 5"},
		{name: "metadata_pieces", keys: "G enter 2"},
		{name: "error_detail", keys: "G up enter"},
		{name: "help", keys: "?"},
		{name: "help_files", keys: "enter 3 ?"},
		{name: "add", keys: "a m a g"},
		{name: "remove_confirm", keys: "d"},
		{name: "magnet", keys: "m"},
		{name: "qr", keys: "down M"},
		{name: "qr_long_magnet", keys: "M"},
		{name: "empty", prep: func(m Model) Model {
			m, _ = send(t, m, snapshotMsg{&swarm.Snapshot{Taken: t0}})
			return m
		}},
		{name: "event", prep: func(m Model) Model {
			m, _ = send(t, m, eventMsg{Time: t0, Kind: swarm.EventPeerBanned, Name: "ubuntu", Peer: "10.9.8.7:51413", Msg: "sent 3 bad pieces"})
			return m
		}},
	}
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s_%dx%d", v.name, sz.w, sz.h), func(t *testing.T) {
				m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), sz.w, sz.h)
				if v.prep != nil {
					m = v.prep(m)
				}
				m, _ = press(t, m, v.keys)
				view := m.View()
				checkScreen(t, view, sz.w, sz.h)
				teatest.RequireEqualOutput(t, []byte(view))
			})
		}
	}
}

// TestView_Sizes checks every screen keeps its shape from 80×24 down to
// tiny terminals and up to huge ones, without goldens.
func TestView_Sizes(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {81, 25}, {100, 30}, {200, 60}, {40, 12}, {20, 6}} {
		for _, keys := range []string{"", "enter", "enter 2", "enter 3", "enter 4", "enter 5", "?", "a", "d", "m", "M"} {
			m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), sz.w, sz.h)
			m, _ = press(t, m, keys)
			t.Run(fmt.Sprintf("%dx%d_%s", sz.w, sz.h, strings.ReplaceAll(keys, " ", "_")), func(t *testing.T) {
				checkScreen(t, m.View(), sz.w, sz.h)
			})
		}
	}
}

func TestNoColor(t *testing.T) {
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	for _, tt := range []struct {
		env  string
		want termenv.Profile
	}{
		{"", termenv.ANSI256}, // NO_COLOR="" means unset, per no-color.org
		{"1", termenv.Ascii},
	} {
		lipgloss.SetColorProfile(termenv.ANSI256)
		t.Setenv("NO_COLOR", tt.env)
		honourNoColor()
		if got := lipgloss.ColorProfile(); got != tt.want {
			t.Errorf("NO_COLOR=%q: profile %v, want %v", tt.env, got, tt.want)
		}
	}
	// Without colour the cursor and the active tab still show.
	m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), 80, 24)
	if v := m.View(); !strings.Contains(v, "▸ ubuntu") || strings.Contains(v, "\x1b[") {
		t.Fatalf("list without colour lacks the cursor glyph or has escapes:\n%s", v)
	}
	m, _ = press(t, m, "enter 2")
	if v := m.View(); !strings.Contains(v, "[2 Pieces]") {
		t.Fatalf("active tab not marked without colour:\n%s", v)
	}
}
