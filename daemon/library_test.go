package daemon

import (
	"slices"
	"testing"

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
