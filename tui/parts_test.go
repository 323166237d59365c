package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

func TestPieceCells(t *testing.T) {
	const (
		M = swarm.PieceMissing
		F = swarm.PieceInFlight
		D = swarm.PieceDone
		X = swarm.PieceFailed
		S = swarm.PieceSkipped
	)
	for _, tt := range []struct {
		name   string
		pieces []swarm.PieceState
		avail  []uint8
		cells  int
		want   []cellKind
	}{
		{"one per cell", []swarm.PieceState{D, M, F, X, S}, []uint8{1, 1, 1, 1, 1}, 10,
			[]cellKind{cellDone, cellMissing, cellInFlight, cellFailed, cellSkipped}},
		{"failed wins", []swarm.PieceState{D, D, X, D}, []uint8{1, 1, 1, 1}, 1, []cellKind{cellFailed}},
		{"in flight beats missing", []swarm.PieceState{M, F, M, M}, []uint8{2, 2, 2, 2}, 1, []cellKind{cellInFlight}},
		{"unavailable", []swarm.PieceState{D, M, M, D}, []uint8{3, 0, 2, 3}, 2, []cellKind{cellUnavailable, cellPartial}},
		{"no availability known", []swarm.PieceState{M, M}, nil, 1, []cellKind{cellMissing}},
		{"uneven split", []swarm.PieceState{D, D, D, M, M, M, M}, make([]uint8, 7), 3,
			[]cellKind{cellDone, cellUnavailable, cellUnavailable}},
		{"skipped and done", []swarm.PieceState{S, D}, []uint8{0, 0}, 1, []cellKind{cellDone}},
	} {
		var got []cellKind
		for _, c := range pieceCells(tt.pieces, tt.avail, tt.cells) {
			got = append(got, c.kind)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// Every piece lands in exactly one cell, however the sizes divide.
	for n := 1; n < 300; n += 7 {
		for cells := 1; cells < 50; cells += 3 {
			ps := make([]swarm.PieceState, n)
			ps[n-1] = swarm.PieceFailed
			got := pieceCells(ps, nil, cells)
			if len(got) != min(n, cells) || got[len(got)-1].kind != cellFailed {
				t.Fatalf("n=%d cells=%d: %d cells, last %v", n, cells, len(got), got[len(got)-1])
			}
		}
	}
}

func TestRing(t *testing.T) {
	r := &ring{buf: make([]sample, 4)}
	if got := r.last(10); len(got) != 0 {
		t.Fatalf("empty ring gave %v", got)
	}
	for i := range 6 {
		r.push(sample{down: int64(i)})
	}
	var got []int64
	for _, s := range r.last(10) {
		got = append(got, s.down)
	}
	if !slices.Equal(got, []int64{2, 3, 4, 5}) {
		t.Fatalf("last = %v, want the newest 4 oldest first", got)
	}
	if got := r.last(2); got[0].down != 4 || got[1].down != 5 {
		t.Fatalf("last(2) = %v", got)
	}
}

func TestHistory_ForgetsRemovedTorrents(t *testing.T) {
	h := newHistory(8)
	s := fixtureSnapshot()
	h.record(s)
	if h.of(hash(0x10)) == nil {
		t.Fatal("no history for a torrent")
	}
	h.record(&swarm.Snapshot{Taken: t0.Add(time.Second)})
	if h.of(hash(0x10)) != nil || h.session.len() != 2 {
		t.Fatal("history kept a removed torrent or lost the session's")
	}
}

func TestLayout_DropsColumnsInOrder(t *testing.T) {
	cols := []column{
		{title: "name", flex: true},
		{title: "a", width: 10},
		{title: "b", width: 10, drop: 1},
		{title: "c", width: 10, drop: 2},
	}
	for _, tt := range []struct {
		w    int
		want []int
	}{
		{60, []int{27, 10, 10, 10}},
		{40, []int{18, 10, 10, 0}}, // c goes first
		{25, []int{14, 10, 0, 0}},
		{5, []int{1, 10, 0, 0}}, // never below one cell, never drops a
	} {
		if got := layout(cols, tt.w, 12); !slices.Equal(got, tt.want) {
			t.Errorf("width %d: got %v, want %v", tt.w, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{size(0), "-"},
		{size(999), "999 B"},
		{size(1000), "1.0 KiB"},
		{size(1023 * 1024), "1.0 MiB"},
		{size(15 << 30), "15 GiB"},
		{rate(512_000), "500 KiB/s"},
		{dur(59 * time.Second), "59s"},
		{dur(61 * time.Minute), "1h01m"},
		{dur(50 * time.Hour), "2d02h"},
		{eta(-1), "∞"},
		{pct(0.999), "99%"},
		{pct(1), "100%"},
		{ago(t0, t0.Add(-90*time.Second)), "1m30s ago"},
		{ago(t0, time.Time{}), "never"},
		{until(t0, t0.Add(time.Minute)), "in 1m00s"},
		{joinFit(12, "aaaa", "bbbb", "cccc"), "aaaa · bbbb"},
		{displayName(&swarm.TorrentSnapshot{InfoHash: hash(1)}), "01020304…"},
		{shortMagnet("magnet:?xt=urn:btih:ab&dn=a+b&tr=http%3A%2F%2Fx", true), "magnet:?xt=urn:btih:ab&dn=a+b"},
		{shortMagnet("magnet:?xt=urn:btih:ab&dn=a+b&tr=http%3A%2F%2Fx", false), "magnet:?xt=urn:btih:ab"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// A torrent checking its data shows the check's progress in its bar and
// counts in its detail line, not the (still unknown) download progress.
func TestChecking_BarAndDetail(t *testing.T) {
	snap := &swarm.Snapshot{Taken: fixedNow(), Torrents: []swarm.TorrentSnapshot{{
		InfoHash: swarm.InfoHash{9}, Name: "big.iso", State: swarm.StateChecking,
		CheckDone: 30, CheckTotal: 120, ETA: -1,
	}}}
	m := New(newFakeEngine(snap), Options{Now: fixedNow})
	m.snap = snap
	if cell := m.progressCell(&snap.Torrents[0], 20, true); !strings.Contains(cell, "25%") {
		t.Errorf("bar %q, want 25%% checked", cell)
	}
	if out := strings.Join(m.detailHeader(&snap.Torrents[0]), "\n"); !strings.Contains(out, "checking data on disk: 30 of 120 pieces") {
		t.Errorf("detail lacks the check's count:\n%s", out)
	}
}

// A torrent's detail says when it super-seeds (BEP 16) or downloads in
// order, which otherwise only ls --json told.
func TestDetail_SuperSeedingAndInOrder(t *testing.T) {
	snap := &swarm.Snapshot{Taken: fixedNow(), Torrents: []swarm.TorrentSnapshot{
		{InfoHash: swarm.InfoHash{1}, Name: "first.iso", State: swarm.StateSeeding, SuperSeeding: true, ETA: -1},
		{InfoHash: swarm.InfoHash{2}, Name: "film.mkv", State: swarm.StateDownloading, Sequential: true, ETA: -1},
		{InfoHash: swarm.InfoHash{3}, Name: "plain", State: swarm.StateSeeding, ETA: -1},
	}}
	m := New(newFakeEngine(snap), Options{Now: fixedNow})
	m.snap = snap
	for i, want := range []string{"super-seeding", "in order", ""} {
		out := strings.Join(m.detailHeader(&snap.Torrents[i]), "\n")
		for _, badge := range []string{"super-seeding", "in order"} {
			if has := strings.Contains(out, badge); has != (badge == want) {
				t.Errorf("%s: %q shown %v\n%s", snap.Torrents[i].Name, badge, has, out)
			}
		}
	}
}
