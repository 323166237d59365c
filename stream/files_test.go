package stream_test

import (
	"errors"
	"testing"

	"github.com/shoal-bt/shoal/stream"
	"github.com/shoal-bt/shoal/swarm"
)

func TestResolve(t *testing.T) {
	ts := swarm.TorrentSnapshot{Name: "show", Files: []swarm.FileSnapshot{
		{Path: "show/s1/e1.mkv"}, {Path: "show/s2/e1.mkv"}, {Path: "show/.pad/100"}, {Path: "show/notes.txt"}, {Path: "show/12"},
	}}
	for _, tt := range []struct {
		arg  string
		want int // -1: ErrNoSuchFile
	}{
		{"0", 0}, {"3", 3}, {"2", -1}, {"5", -1}, {"-1", -1}, {"+1", -1},
		{"show/s2/e1.mkv", 1}, {"s2/e1.mkv", 1}, {"/s1/e1.mkv", 0}, {"notes.txt", 3},
		{"e1.mkv", -1}, // two files have it
		{"12", -1},     // digits are a number: file 12 does not exist
		{"missing.mkv", -1}, {"", -1},
	} {
		got, err := stream.Resolve(ts, tt.arg)
		switch {
		case tt.want < 0 && !errors.Is(err, stream.ErrNoSuchFile):
			t.Errorf("Resolve(%q) = %d, %v; want ErrNoSuchFile", tt.arg, got, err)
		case tt.want >= 0 && (err != nil || got != tt.want):
			t.Errorf("Resolve(%q) = %d, %v; want %d", tt.arg, got, err, tt.want)
		}
	}
}
