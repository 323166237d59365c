package daemon

import (
	"reflect"
	"slices"
	"testing"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// TestEntry_MagnetPriorities: priorities set on a torrent added by magnet
// come back after a restart, over the link's so=; before, a restart
// forgot them and the torrent fetched the files the user had skipped.
func TestEntry_MagnetPriorities(t *testing.T) {
	prio := []swarm.Priority{swarm.PrioritySkip, swarm.PriorityHigh, swarm.PrioritySkip}
	e := Entry{Magnet: "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=0", Dir: "/d", Priorities: prio}
	add, err := e.Options()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(add.Priorities, prio) || add.Magnet == nil || !slices.Equal(add.Magnet.Select, []int{0}) {
		t.Fatalf("Options() = priorities %v, magnet %+v", add.Priorities, add.Magnet)
	}
}

// TestLibrary_RemembersSelection: what get --only chose comes back with the
// entry, so shoal ui or the daemon restoring it does not fetch every file.
func TestLibrary_RemembersSelection(t *testing.T) {
	l := &Library{Dir: t.TempDir()}
	m, err := pieces.ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	sel := &pieces.Selection{Only: []string{"*.mkv"}, Files: []int{2}, Skip: []string{"extras"}}
	if err := l.Remember(swarm.AddOptions{Magnet: m, Dir: t.TempDir(), Select: sel}); err != nil {
		t.Fatal(err)
	}
	es, err := l.Load()
	if err != nil || len(es) != 1 {
		t.Fatalf("Load = %+v, %v", es, err)
	}
	add, err := es[0].Options()
	if err != nil || !reflect.DeepEqual(add.Select, sel) {
		t.Fatalf("Options().Select = %+v, %v; want %+v", add.Select, err, sel)
	}
}

// TestLibrary_RemembersSequential: add --sequential and set --sequential
// survive a restart of the daemon.
func TestLibrary_RemembersSequential(t *testing.T) {
	l := &Library{Dir: t.TempDir()}
	m, err := pieces.ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Remember(swarm.AddOptions{Magnet: m, Dir: t.TempDir(), Sequential: true}); err != nil {
		t.Fatal(err)
	}
	load := func() swarm.AddOptions {
		t.Helper()
		es, err := l.Load()
		if err != nil || len(es) != 1 {
			t.Fatalf("Load = %+v, %v", es, err)
		}
		add, err := es[0].Options()
		if err != nil {
			t.Fatal(err)
		}
		return add
	}
	if !load().Sequential {
		t.Error("add --sequential forgotten")
	}
	if err := l.SetSequential(m.InfoHash, false); err != nil {
		t.Fatal(err)
	}
	if load().Sequential {
		t.Error("set --sequential=false forgotten")
	}
}
