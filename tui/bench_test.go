package tui

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/shoal-bt/shoal/swarm"
)

// bigSnapshot is the worst case: one torrent with 500 peers and
// 100,000 pieces among a hundred others.
func bigSnapshot() *swarm.Snapshot {
	s := fixtureSnapshot()
	big := s.Torrents[0]
	big.Peers = fixturePeers(500, 99)
	big.Pieces, big.Availability = fixturePieces(100_000, 0.5, 5)
	ts := []swarm.TorrentSnapshot{big}
	for i := range 100 {
		t := s.Torrents[1+i%(len(s.Torrents)-1)]
		t.InfoHash = hash(byte(i))
		t.InfoHash[19] = 0xff
		t.Name = fmt.Sprintf("%s-%03d", t.Name, i)
		ts = append(ts, t)
	}
	s.Torrents = ts
	return s
}

// BenchmarkView renders one frame, as Bubble Tea does after every message,
// with colours on (the costlier case).
func BenchmarkView(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	b.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	for _, sz := range []struct{ w, h int }{{80, 24}, {200, 60}} {
		for _, v := range []struct{ name, keys string }{
			{"list", ""}, {"peers", "enter"}, {"pieces", "enter 2"}, {"rates", "enter 5"},
		} {
			b.Run(fmt.Sprintf("%s_%dx%d", v.name, sz.w, sz.h), func(b *testing.B) {
				e := newFakeEngine(bigSnapshot())
				m := New(e, Options{Now: fixedNow})
				m, _ = send(b, m, tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				for _, s := range withRates(e.Snapshot(), 300) {
					m, _ = send(b, m, snapshotMsg{s})
				}
				m, _ = press(b, m, v.keys)
				b.ReportAllocs()
				for b.Loop() {
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkUpdateSnapshot is the per-second cost of taking a snapshot in.
func BenchmarkUpdateSnapshot(b *testing.B) {
	s := bigSnapshot()
	m := New(newFakeEngine(s), Options{Now: fixedNow})
	m, _ = send(b, m, tea.WindowSizeMsg{Width: 200, Height: 60})
	b.ReportAllocs()
	for b.Loop() {
		c := *s // a new pointer, as the engine publishes
		m, _ = send(b, m, snapshotMsg{&c})
	}
}
