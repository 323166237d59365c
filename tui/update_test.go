package tui

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/shoal-bt/shoal/swarm"
)

// runCmd executes an engine-command Cmd the way Bubble Tea would and feeds
// its message back.
func runCmd(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		t.Fatal("want a Cmd, got nil")
	}
	m, _ = send(t, m, cmd())
	return m
}

func TestUpdate_SnapshotRearmsOnePoll(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := New(e, Options{Now: fixedNow})
	m, cmd := send(t, m, snapshotMsg{e.Snapshot()})
	if cmd == nil {
		t.Fatal("a snapshot must re-arm the poll")
	}
	if m.snap != e.Snapshot() {
		t.Fatal("snapshot not stored")
	}
	m, cmd = send(t, m, snapshotMsg{nil})
	if cmd == nil || m.snap == nil {
		t.Fatal("a nil snapshot (engine not started) must keep the old one and keep polling")
	}
}

func TestUpdate_OpenWaitsForTorrent(t *testing.T) {
	s := fixtureSnapshot()
	m := New(newFakeEngine(s), Options{Now: fixedNow, Open: hash(0x70)})
	m, _ = send(t, m, snapshotMsg{s})
	if m.page != pageList {
		t.Fatal("opened the detail of a torrent that is not there")
	}
	s2 := *s
	s2.Torrents = append(slices.Clone(s.Torrents), swarm.TorrentSnapshot{InfoHash: hash(0x70), Name: "late"})
	m, _ = send(t, m, snapshotMsg{&s2})
	if m.page != pageDetail || m.selected != hash(0x70) {
		t.Fatalf("page %v selected %x, want the detail of the new torrent", m.page, m.selected)
	}
	// Removed under us: back to the list, without a panic.
	m, _ = send(t, m, snapshotMsg{s})
	if m.page != pageList {
		t.Fatal("stayed on the detail of a removed torrent")
	}
}

func TestUpdate_PauseResume(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := fixtureModel(t, e, 80, 24)
	m, cmd := press(t, m, "p") // ubuntu, downloading
	m = runCmd(t, m, cmd)
	m, _ = send(t, m, snapshotMsg{e.Snapshot()})
	if got := m.torrent(hash(0x10)).State; got != swarm.StatePaused {
		t.Fatalf("state %v after p, want paused", got)
	}
	_, cmd = press(t, m, "p")
	runCmd(t, m, cmd)
	if want := []string{"pause 10111213", "resume 10111213"}; !slices.Equal(e.Calls(), want) {
		t.Fatalf("calls %q, want %q", e.Calls(), want)
	}
}

func TestUpdate_RemoveAsksFirst(t *testing.T) {
	for _, tt := range []struct {
		keys string
		want []string
	}{
		{"d n", nil},
		{"d esc", nil},
		{"d y", []string{"remove 10111213"}},
		{"d D", []string{"remove 10111213 delete"}},
		{"enter d y", []string{"remove 10111213"}},
	} {
		e := newFakeEngine(fixtureSnapshot())
		m := fixtureModel(t, e, 80, 24)
		m, cmd := press(t, m, tt.keys)
		if tt.want == nil {
			if cmd != nil || m.mode != modeNormal {
				t.Errorf("%q: cmd %v mode %v, want nothing done", tt.keys, cmd != nil, m.mode)
			}
			continue
		}
		m = runCmd(t, m, cmd)
		if !slices.Equal(e.Calls(), tt.want) || m.page != pageList {
			t.Errorf("%q: calls %q page %v, want %q on the list", tt.keys, e.Calls(), m.page, tt.want)
		}
	}
}

func typeText(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestUpdate_Add(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := fixtureModel(t, e, 80, 24)
	m, _ = press(t, m, "a")
	if m.mode != modeAdd {
		t.Fatal("a did not open the input")
	}
	// Keys that mean something elsewhere are text here.
	m, _ = send(t, m, typeText("q"), tea.KeyMsg{Type: tea.KeyBackspace}, typeText("  not a magnet "))
	m, cmd := press(t, m, "enter")
	m = runCmd(t, m, cmd)
	last := m.notes[len(m.notes)-1]
	if !last.bad || last.text != "cannot add: not a magnet link: not a magnet" {
		t.Fatalf("status %+v, want the add error", last)
	}
	m, _ = press(t, m, "a")
	m, _ = send(t, m, typeText("magnet:?xt=urn:btih:7071727374757677787970717273747576777879&dn=new"))
	m, cmd = press(t, m, "enter")
	runCmd(t, m, cmd)
	if calls := e.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "add magnet:") {
		t.Fatalf("calls %q, want one add", calls)
	}
	// An empty box and esc add nothing.
	for _, keys := range []string{"a enter", "a x esc"} {
		m2, cmd := press(t, m, keys)
		if cmd != nil || m2.mode != modeNormal {
			t.Errorf("%q: want no Cmd, back to normal", keys)
		}
	}
}

func TestUpdate_FilePriority(t *testing.T) {
	for _, tt := range []struct {
		keys string
		want string // "" for no call
	}{
		{"+", "prio 20212223 0 high"},
		{"x", "prio 20212223 0 skip"},
		{"-", "prio 20212223 0 skip"},
		{"down +", ""},                                 // already high
		{"down down down x", "prio 20212223 3 normal"}, // unskip
		{"down down down -", ""},                       // already skipped
	} {
		e := newFakeEngine(fixtureSnapshot())
		m := fixtureModel(t, e, 80, 24)
		m, cmd := press(t, m, "down enter 3 "+tt.keys)
		if tt.want == "" {
			if cmd != nil {
				t.Errorf("%q: want no Cmd", tt.keys)
			}
			continue
		}
		runCmd(t, m, cmd)
		if calls := e.Calls(); len(calls) != 1 || calls[0] != tt.want {
			t.Errorf("%q: calls %q, want %q", tt.keys, calls, tt.want)
		}
	}
}

func TestUpdate_Events(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := fixtureModel(t, e, 80, 24)
	m, cmd := send(t, m, eventMsg{Time: t0, Kind: swarm.EventCompleted, Name: "ubuntu"})
	if cmd == nil {
		t.Fatal("an event must re-arm the event reader")
	}
	if got := m.notes[len(m.notes)-1]; got.text != "completed ubuntu" || got.bad {
		t.Fatalf("note %+v", got)
	}
	m, _ = send(t, m, eventMsg{Kind: swarm.EventAlreadyHad, Name: "ubuntu", Msg: "already had 2 of 3 files (1.2 GiB)"})
	if got := m.notes[len(m.notes)-1]; got.text != "ubuntu: already had 2 of 3 files (1.2 GiB)" || got.bad {
		t.Fatalf("note %+v", got)
	}
	for range maxNotes + 5 {
		m, _ = send(t, m, eventMsg{Kind: swarm.EventTrackerError, Name: "x", Msg: "timeout"})
	}
	if len(m.notes) != maxNotes || !m.notes[len(m.notes)-1].bad {
		t.Fatalf("%d notes, want the newest %d", len(m.notes), maxNotes)
	}
	m, cmd = send(t, m, eventsClosedMsg{})
	if cmd != nil || !m.eventsClosed {
		t.Fatal("a closed channel must stop the reader")
	}
}

func TestWaitEvent(t *testing.T) {
	ch := make(chan swarm.Event, 1)
	ch <- swarm.Event{Kind: swarm.EventAdded}
	if msg := waitEvent(t.Context(), ch)(); msg != (eventMsg{Kind: swarm.EventAdded}) {
		t.Fatalf("got %#v", msg)
	}
	close(ch)
	if msg := waitEvent(t.Context(), ch)(); msg != (eventsClosedMsg{}) {
		t.Fatalf("closed: got %#v", msg)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if msg := waitEvent(ctx, make(chan swarm.Event))(); msg != nil {
		t.Fatalf("cancelled: got %#v", msg)
	}
	if waitEvent(t.Context(), nil) != nil {
		t.Fatal("a nil channel needs no reader")
	}
}

func TestUpdate_SortFilterAndCursor(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := fixtureModel(t, e, 80, 24)
	names := func(m Model) []string {
		var out []string
		for _, i := range m.visible() {
			out = append(out, m.snap.Torrents[i].Name)
		}
		return out
	}
	m, _ = press(t, m, "s") // by name
	if got := names(m); got[0] != "big-dataset" || got[5] != "ubuntu-24.04.1-desktop-amd64.iso" {
		t.Fatalf("by name: %q", got)
	}
	m, _ = press(t, m, "S")
	if got := names(m); got[0] != "ubuntu-24.04.1-desktop-amd64.iso" {
		t.Fatalf("reversed: %q", got)
	}
	// The cursor follows the torrent, not the row.
	m, _ = press(t, m, "down") // rare-album-flac
	m, _ = press(t, m, "s")    // by size, biggest first
	if cur := m.current(); cur == nil || cur.Name != "rare-album-flac" {
		t.Fatalf("cursor on %v after re-sorting, want rare-album-flac", cur.Name)
	}
	m, _ = press(t, m, "/ p h o enter")
	if got := names(m); !slices.Equal(got, []string{"photos-2025"}) {
		t.Fatalf("filter pho: %q", got)
	}
	m, _ = press(t, m, "esc")
	if got := names(m); len(got) != 6 {
		t.Fatalf("esc left %q", got)
	}
	m, _ = press(t, m, "f f f f f") // stalled
	if got := names(m); len(got) != 2 {
		t.Fatalf("stalled: %q", got)
	}
}

func TestUpdate_TabsAndBack(t *testing.T) {
	m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), 80, 24)
	m, _ = press(t, m, "enter tab tab")
	if m.page != pageDetail || m.tab != tabFiles {
		t.Fatalf("page %v tab %v", m.page, m.tab)
	}
	m, _ = press(t, m, "shift+tab shift+tab shift+tab")
	if m.tab != tabRates {
		t.Fatalf("tab %v, want wrap to rates", m.tab)
	}
	m, _ = press(t, m, "esc")
	if m.page != pageList {
		t.Fatal("esc did not go back")
	}
	_, cmd := press(t, m, "q")
	if cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q must quit")
	}
}

func TestUpdate_PeerScrollClamps(t *testing.T) {
	m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), 80, 24)
	m, _ = press(t, m, "enter G")
	rows := m.peerRows(m.current())
	if m.peerTop != 40-rows {
		t.Fatalf("peerTop %d after G, want %d", m.peerTop, 40-rows)
	}
	m, _ = press(t, m, "g")
	if m.peerTop != 0 {
		t.Fatalf("peerTop %d after g", m.peerTop)
	}
}

func TestUpdate_OpError(t *testing.T) {
	m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), 80, 24)
	m, _ = send(t, m, opDoneMsg{what: "pause", name: "x", err: errors.New("boom")})
	if n := m.notes[len(m.notes)-1]; !n.bad || n.text != "cannot pause x: boom" {
		t.Fatalf("note %+v", n)
	}
}

func TestUpdate_RunesTogetherAreSeparateKeys(t *testing.T) {
	m := fixtureModel(t, newFakeEngine(fixtureSnapshot()), 80, 24)
	m, _ = send(t, m, typeText("G2"))
	if m.page != pageList {
		t.Fatal("2 is not a list key")
	}
	m, _ = send(t, m, typeText("gj"), tea.KeyMsg{Type: tea.KeyEnter}, typeText("3"))
	if m.page != pageDetail || m.tab != tabFiles || m.current().Name != "photos-2025" {
		t.Fatalf("page %v tab %v on %q", m.page, m.tab, m.current().Name)
	}
}

func TestUpdate_SelectsWhatTheUserAdded(t *testing.T) {
	e := newFakeEngine(fixtureSnapshot())
	m := fixtureModel(t, e, 80, 24)
	m, cmd := send(t, m, typeText("a"), typeText("magnet:?xt=urn:btih:7071727374757677787970717273747576777879&dn=new"), tea.KeyMsg{Type: tea.KeyEnter})
	m = runCmd(t, m, cmd)
	m, _ = send(t, m, eventMsg(<-e.events), snapshotMsg{e.Snapshot()})
	if cur := m.current(); cur == nil || cur.Name != "new" {
		t.Fatalf("cursor on %+v, want the new torrent", cur)
	}
	// Someone else's add (no add pending) leaves the cursor alone.
	m, _ = press(t, m, "g")
	m, _ = send(t, m, eventMsg{Kind: swarm.EventAdded, InfoHash: hash(0x20)})
	if cur := m.current(); cur.Name != "ubuntu-24.04.1-desktop-amd64.iso" {
		t.Fatalf("cursor moved to %q", cur.Name)
	}
}

func TestUpdate_CopyMagnet(t *testing.T) {
	var copied []string
	fail := false
	clip := func(s string) error {
		if fail {
			return errors.New("no terminal")
		}
		copied = append(copied, s)
		return nil
	}
	e := newFakeEngine(fixtureSnapshot())
	m := New(e, Options{Now: fixedNow, Clipboard: clip})
	m, _ = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, _ = send(t, m, snapshotMsg{e.Snapshot()})
	if _, cmd := press(t, m, "c"); cmd != nil {
		if msg := cmd(); msg != nil {
			if _, ok := msg.(opDoneMsg); ok {
				t.Fatal("c copied outside the magnet screen")
			}
		}
	}
	m, _ = press(t, m, "m")
	if m.mode != modeMagnet {
		t.Fatalf("mode %v after m", m.mode)
	}
	m, cmd := press(t, m, "c")
	m = runCmd(t, m, cmd)
	want := m.torrent(hash(0x10)).Magnet
	if !slices.Equal(copied, []string{want}) {
		t.Fatalf("copied %q, want %q", copied, want)
	}
	if n := m.notes[len(m.notes)-1]; n.bad || !strings.HasPrefix(n.text, "copied the magnet link of ubuntu") {
		t.Fatalf("note %+v", n)
	}
	if m.mode != modeMagnet {
		t.Fatal("copying left the magnet screen")
	}
	fail = true
	m, cmd = press(t, m, "c")
	m = runCmd(t, m, cmd)
	if n := m.notes[len(m.notes)-1]; !n.bad || !strings.Contains(n.text, "no terminal") {
		t.Fatalf("note %+v after a failed copy", n)
	}
}

// The default clipboard is an OSC 52 sequence on standard output.
func TestOSC52Copy(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	t.Setenv("TERM", "xterm-256color")
	err = osc52Copy("magnet:?xt=urn:btih:abc")
	os.Stdout = old
	w.Close()
	got, _ := io.ReadAll(r)
	if err != nil || string(got) != "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte("magnet:?xt=urn:btih:abc"))+"\a" {
		t.Fatalf("wrote %q, %v", got, err)
	}
}
