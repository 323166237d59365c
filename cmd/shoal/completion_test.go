package main

import (
	"strings"
	"testing"
)

// TestCompletion asks the real command tree what the shell would get.
func TestCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // the candidates and the directive, as cobra prints them
	}{
		{[]string{"get", "x.torrent", "--encryption", ""}, "allow\nprefer\nrequire\noff\n:4\n"},
		{[]string{"seed", "d", "--encryption", "pre"}, "allow\nprefer\nrequire\noff\n:4\n"},
		{[]string{"--log-level", ""}, "debug\ninfo\nwarn\nerror\n:4\n"},
		{[]string{"get", ""}, "torrent\n:8\n"},
		{[]string{"info", ""}, "torrent\n:8\n"},
		{[]string{"verify", ""}, ":16\n"},
		{[]string{"verify", "dir", ""}, "torrent\n:8\n"},
		{[]string{"verify", "dir", "t.torrent", ""}, ":4\n"},
		{[]string{"get", "x.torrent", "-o", ""}, ":16\n"},
		{[]string{"seed", "x.torrent", "--data", ""}, ":16\n"},
	} {
		code, out, errs := shoalRun(t, append([]string{"__complete"}, tt.args...)...)
		if code != 0 || out != tt.want {
			t.Errorf("complete %q: exit %d, %q (%s); want %q", tt.args, code, out, errs, tt.want)
		}
	}
	code, out, _ := shoalRun(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: exit %d, %.80q", code, out)
	}
}
