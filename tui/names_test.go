package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/shoal-bt/shoal/swarm"
)

// TestList_SameNamesToldApart: two torrents of the same name show a short
// infohash each, in the list and in the detail header; a unique name none.
func TestList_SameNamesToldApart(t *testing.T) {
	snap := &swarm.Snapshot{Taken: t0, Torrents: []swarm.TorrentSnapshot{
		{InfoHash: hash(0x11), Name: "dataset", State: swarm.StateSeeding, DataDir: "/a"},
		{InfoHash: hash(0x22), Name: "dataset", State: swarm.StateSeeding, DataDir: "/b"},
		{InfoHash: hash(0x33), Name: "photos", State: swarm.StateSeeding, DataDir: "/c"},
	}}
	m := New(newFakeEngine(snap), Options{Now: fixedNow})
	m, _ = send(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m, _ = send(t, m, snapshotMsg{snap})
	view := m.View()
	for _, want := range []string{"dataset (" + shortHash(hash(0x11)) + ")", "dataset (" + shortHash(hash(0x22)) + ")"} {
		if !strings.Contains(view, want) {
			t.Errorf("list lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "photos (") {
		t.Errorf("a unique name got an infohash:\n%s", view)
	}
	m, _ = press(t, m, "down enter")
	if view := m.View(); !strings.Contains(view, "dataset ("+shortHash(hash(0x22))+")") {
		t.Errorf("detail of the second dataset does not say which:\n%s", view)
	}
}
