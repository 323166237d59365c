package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-bt/shoal/daemon"
)

// Labels given to add and set reach a real daemon, ls shows them in a
// LABELS column only when some torrent has one, and ls --label filters.
func TestDaemon_Labels(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"alpha", "beta"} {
		writeTree(t, filepath.Join(dir, name), map[string]int{"f.bin": 20_000})
		createTorrent(t, filepath.Join(dir, name), filepath.Join(dir, name+".torrent"))
	}
	d := startDaemon(t, t.TempDir())
	d.must(t, "add", filepath.Join(dir, "beta.torrent"), "-o", dir, "--paused")
	if out := d.must(t, "ls"); strings.Contains(out, "LABELS") {
		t.Errorf("ls with no labels anywhere has a LABELS column:\n%s", out)
	}
	d.must(t, "add", filepath.Join(dir, "alpha.torrent"), "-o", dir, "--paused", "--label", "movies", "--label", "to watch")

	lines := func(args ...string) []string {
		return strings.Split(strings.TrimSpace(d.must(t, append([]string{"ls"}, args...)...)), "\n")
	}
	// labelsCol is each row's LABELS and NAME, as the table aligns them.
	labelsCol := func(ls []string) string {
		i, j := strings.Index(ls[0], "LABELS"), strings.Index(ls[0], "NAME")
		if i < 0 || j < i {
			return "no LABELS column before NAME"
		}
		var out []string
		for _, l := range ls[1:] {
			out = append(out, strings.TrimSpace(l[i:j])+"|"+l[j:])
		}
		return strings.Join(out, "; ")
	}
	if ls := lines(); len(ls) != 3 || labelsCol(ls) != "-|beta; movies,to watch|alpha" {
		t.Errorf("ls:\n%s", strings.Join(ls, "\n"))
	}
	if ls := lines("--label", "MOVIES"); len(ls) != 2 || !strings.HasSuffix(ls[1], "alpha") {
		t.Errorf("ls --label MOVIES:\n%s", strings.Join(ls, "\n"))
	}
	if ls := lines("--label", "movies", "--label", "tv"); len(ls) != 1 {
		t.Errorf("ls with two labels no torrent has both of:\n%s", strings.Join(ls, "\n"))
	}
	var rows []daemon.Row
	if err := json.Unmarshal([]byte(d.must(t, "ls", "--label", "to watch", "--json")), &rows); err != nil ||
		len(rows) != 1 || rows[0].ID != 2 || strings.Join(rows[0].Labels, "|") != "movies|to watch" {
		t.Errorf("ls --label 'to watch' --json: %+v, %v", rows, err)
	}

	d.must(t, "set", "1", "--label", "tv")
	if out := d.must(t, "show", "1"); !strings.Contains(out, "\nLabels:    tv\n") {
		t.Errorf("show 1 after set --label tv:\n%s", out)
	}
	d.must(t, "set", "2", "--no-labels")
	if ls := lines("--label", "movies"); len(ls) != 1 {
		t.Errorf("ls --label movies after --no-labels:\n%s", strings.Join(ls, "\n"))
	}
	if ls := lines(); len(ls) != 3 || labelsCol(ls) != "tv|beta; -|alpha" {
		t.Errorf("ls after the changes:\n%s", strings.Join(ls, "\n"))
	}
	d.must(t, "set", "1", "--no-labels")
	if out := d.must(t, "ls"); strings.Contains(out, "LABELS") {
		t.Errorf("ls after every label is gone still has a LABELS column:\n%s", out)
	}

	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"set", "1", "--label", "a", "--no-labels"}, "--label and --no-labels together"},
		{[]string{"set", "1", "--label", "a,b"}, "no commas"},
		{[]string{"add", filepath.Join(dir, "alpha.torrent"), "--label", "x\ty"}, "no commas or control characters"},
	} {
		if code, _, errs := d.cli(t, tt.args...); code != exitUsage || !strings.Contains(errs, tt.msg) {
			t.Errorf("shoal %q: exit %d, %q; want %d and %q", tt.args, code, errs, exitUsage, tt.msg)
		}
	}
}
