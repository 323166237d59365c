package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := shoalRun(t, args...)
		if code != 0 || !strings.HasPrefix(out, "shoal ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("shoal %v: exit %d, %q %q; want the version and %s", args, code, out, errs, runtime.Version())
		}
	}
	for _, args := range [][]string{{"--version", "--json"}, {"version", "--json"}} {
		code, out, _ := shoalRun(t, args...)
		var v versionInfo
		if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Version == "" || v.Go != runtime.Version() {
			t.Errorf("shoal %v: exit %d, %q (%v)", args, code, out, err)
		}
	}
}

// TestHelpListsEveryExitCode: --help shows the table, and the README has
// the same rows.
func TestHelpListsEveryExitCode(t *testing.T) {
	_, out, _ := shoalRun(t, "--help")
	readme := readRepoFile(t, "README.md")
	for _, c := range exitCodes {
		if !strings.Contains(out, strings.ReplaceAll(c.meaning, "`", "")) {
			t.Errorf("--help lacks exit code %d (%s)", c.code, c.meaning)
		}
		if row := "| " + itoa(c.code) + " | " + c.meaning + " |"; !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
