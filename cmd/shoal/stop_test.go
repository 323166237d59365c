package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGet_StopExitCodes: stopping get with Ctrl-C exits 130 with the resume
// hint while it downloads, and 0 once it finished and is only seeding.
func TestGet_StopExitCodes(t *testing.T) {
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 4 << 20})
	for _, tt := range []struct {
		name, waitFor string
		extra         []string
		code          int
		says          string
	}{
		{"while downloading", `downloading `, []string{"--down-limit", "256KiB"}, exitInterrupted, "run the same command again to resume"},
		{"seeding after the download", `verified\s`, []string{"--seed"}, exitOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"get", magnet, "-o", t.TempDir(), "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
				"--state-dir", t.TempDir(), "--progress-every", "100ms"}, tt.extra...)
			p := shoalStart(t, args...)
			p.waitFor(t, tt.waitFor, 30*time.Second)
			p.stop()
			<-p.done
			if p.code != tt.code || !strings.Contains(p.err.String(), tt.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", p.code, p.err.String(), tt.code, tt.says)
			}
			if strings.Contains(p.out.String(), "context canceled") {
				t.Errorf("the summary blames a context:\n%s", p.out.String())
			}
		})
	}
}

// TestTmux_QuitGetInTheUI: q in the UI of get stops it as Ctrl-C does (130
// and the resume hint) while it downloads, and exits 0 once it is seeding.
func TestTmux_QuitGetInTheUI(t *testing.T) {
	bin := shoalBinary(t)
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 4 << 20})
	for _, tt := range []struct {
		name, extra, screen string
		code                string
		says                string
	}{
		{"while downloading", "--down-limit 256KiB", "downloading", "130", "run the same command again to resume"},
		{"seeding after the download", "--seed", "seeding", "0", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			codeFile, errFile := filepath.Join(dir, "code"), filepath.Join(dir, "stderr")
			term := newTerminal(t, 100, 30, "sh -c '"+bin+" get \""+magnet+"\" -o "+filepath.Join(dir, "out")+
				" --listen 127.0.0.1:0 --no-dht --state-dir "+filepath.Join(dir, "state")+" "+tt.extra+
				" 2>"+errFile+"; echo $? >"+codeFile+"'")
			term.waitFor(tt.screen)
			term.keys("q")
			term.waitExit()
			code, _ := os.ReadFile(codeFile)
			stderr, _ := os.ReadFile(errFile)
			if strings.TrimSpace(string(code)) != tt.code || !strings.Contains(string(stderr), tt.says) {
				t.Errorf("after q: exit %q, stderr %q; want %s saying %q", code, stderr, tt.code, tt.says)
			}
		})
	}
}

// TestTmux_RemoveDialogSaysWhere: get -o . (a relative folder) and d in
// the UI: the dialog names the absolute folder the data stays in, not ".".
func TestTmux_RemoveDialogSaysWhere(t *testing.T) {
	bin := shoalBinary(t)
	_, _, magnet, _ := seedFolder(t, map[string]int{"a.bin": 100_000})
	dir := t.TempDir()
	term := newTerminal(t, 140, 30, "sh -c 'cd "+dir+" && "+bin+" get \""+magnet+"\" -o . --seed --listen 127.0.0.1:0 --no-dht --state-dir "+
		filepath.Join(dir, "state")+" 2>/dev/null'")
	term.waitFor("seeding")
	term.keys("d")
	if screen := term.waitFor("its data stays in"); !strings.Contains(screen, "│    "+dir+" ") {
		t.Errorf("the remove dialog does not name %s:\n%s", dir, screen)
	}
	term.keys("n")
	term.keys("q")
	term.waitExit()
}
