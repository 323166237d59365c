package swarm

import (
	"slices"
	"testing"

	"github.com/shoal-bt/shoal/pieces"
)

// TestFirstPriorities: Priorities win over Select (a restored torrent has
// both: the user's later choices must stand), Select over so=, and so=
// drops numbers past the file list.
func TestFirstPriorities(t *testing.T) {
	info := &pieces.Info{Name: "t", Files: []pieces.File{{Path: []string{"a.mkv"}}, {Path: []string{"b.txt"}}, {Path: []string{"c.mkv"}}}}
	skip, norm, high := PrioritySkip, PriorityNormal, PriorityHigh
	mkv := &pieces.Selection{Only: []string{"*.mkv"}}
	for _, tt := range []struct {
		name  string
		prios []Priority
		sel   *pieces.Selection
		so    []int
		want  []Priority
	}{
		{"nothing", nil, nil, nil, nil},
		{"priorities", []Priority{high, skip, norm}, nil, nil, []Priority{high, skip, norm}},
		{"priorities over select", []Priority{skip, norm, norm}, mkv, nil, []Priority{skip, norm, norm}},
		{"select", nil, mkv, []int{1}, []Priority{norm, skip, norm}},
		{"so", nil, nil, []int{1, 7}, []Priority{skip, norm, skip}},
		{"so naming no file", nil, nil, []int{9}, nil},
	} {
		got, err := firstPriorities(info, tt.prios, tt.sel, tt.so)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
