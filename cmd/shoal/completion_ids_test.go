package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The commands that take IDs complete them from a real running daemon,
// with each torrent's name as the description; with no daemon they offer
// nothing and say nothing.
func TestCompletion_DaemonIDs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"alpha", "beta"} {
		writeTree(t, filepath.Join(dir, name), map[string]int{"f.bin": 20_000})
		createTorrent(t, filepath.Join(dir, name), filepath.Join(dir, name+".torrent"))
	}
	d := startDaemon(t, t.TempDir())
	d.must(t, "add", filepath.Join(dir, "alpha.torrent"), "-o", dir, "--paused")
	d.must(t, "add", filepath.Join(dir, "beta.torrent"), "-o", dir, "--paused")
	hash := strings.Repeat("c0", 20)
	d.must(t, "add", "magnet:?xt=urn:btih:"+hash, "--paused")

	all := "1\talpha\n2\tbeta\n3\t" + hash + "\n"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"show", ""}, all + ":4\n"},
		{[]string{"show", "2"}, "2\tbeta\n:4\n"},
		{[]string{"show", "1", ""}, ":4\n"}, // show takes one ID
		{[]string{"pause", ""}, all + ":4\n"},
		{[]string{"pause", "1", ""}, "2\tbeta\n3\t" + hash + "\n:4\n"},
		{[]string{"resume", "3", "1", ""}, "2\tbeta\n:4\n"},
		{[]string{"rm", "--delete-data", ""}, all + ":4\n"},
		{[]string{"set", ""}, all + ":4\n"},
		{[]string{"set", "2", ""}, ":4\n"},
		{[]string{"verify", ""}, all + ":4\n"},
		{[]string{"verify", "2", ""}, "1\talpha\n3\t" + hash + "\n:4\n"},
		{[]string{"verify", "al"}, ":16\n"}, // not an ID: a folder, for verify DIR FILE.torrent
		{[]string{"verify", dir, ""}, "torrent\n:8\n"},
		{[]string{"show", "9"}, ":4\n"},
	} {
		args := append([]string{"__complete", tt.args[0], "--socket", d.sock}, tt.args[1:]...)
		code, out, errs := shoalRun(t, args...)
		if code != 0 || out != tt.want {
			t.Errorf("complete %q: exit %d, %q (%s); want %q", tt.args, code, out, errs, tt.want)
		}
	}

	none := filepath.Join(shortTemp(t), "none.sock")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"show", ""}, ":4\n"},
		{[]string{"pause", ""}, ":4\n"},
		{[]string{"verify", ""}, ":16\n"},
	} {
		args := append([]string{"__complete", tt.args[0], "--socket", none}, tt.args[1:]...)
		code, out, errs := shoalRun(t, args...)
		if code != 0 || out != tt.want || strings.Contains(errs, "no shoal daemon") {
			t.Errorf("complete %q with no daemon: exit %d, %q (%s); want %q", tt.args, code, out, errs, tt.want)
		}
	}
}
