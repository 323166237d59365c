package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/daemon"
)

// watch_dir in the config: a .torrent dropped there is added by a real
// daemon and renamed .added.
func TestDaemon_WatchDirFromConfig(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dropped")
	writeTree(t, data, map[string]int{"a.bin": 40_000})
	torrent := filepath.Join(dir, "dropped.torrent")
	createTorrent(t, data, torrent)
	watch := filepath.Join(dir, "watch")
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[daemon]\nwatch_dir = \""+watch+"\"\n"), 0o644)
	t.Setenv("SHOAL_CONFIG", cfg)
	d := startDaemon(t, t.TempDir())
	b, _ := os.ReadFile(torrent)
	dropped := filepath.Join(watch, "dropped.torrent")
	os.WriteFile(dropped, b, 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(dropped, old, old)
	d.waitRow(t, 1, "added from the watch folder", 30*time.Second, func(r daemon.Row) bool { return r.Name == "dropped" })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(dropped + ".added"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not renamed .added", dropped)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A blocklist that cannot be read stops the daemon at start, exit 2,
// naming the config key.
func TestDaemon_BlocklistMissingIsUsageError(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[daemon]\nblocklist = \""+filepath.Join(dir, "nope.txt")+"\"\n"), 0o644)
	t.Setenv("SHOAL_CONFIG", cfg)
	code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir(),
		"--socket", filepath.Join(shortTemp(t), "d.sock"), "--download-dir", t.TempDir())
	if code != exitUsage || !strings.Contains(errs, "blocklist under [daemon]") {
		t.Errorf("daemon with a missing blocklist: exit %d, %q; want %d naming the key", code, errs, exitUsage)
	}
}

// Seeding goals in the config are checked at start: a bad one is exit 2
// naming the key.
func TestDaemon_SeedGoalConfigChecked(t *testing.T) {
	for _, tt := range []struct{ toml, want string }{
		{`seed_goal_action = "delete"`, "seed_goal_action"},
		{`seed_time = "three days"`, "seed_time"},
		{`seed_ratio = -1.0`, "seed_ratio"},
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config.toml")
		os.WriteFile(cfg, []byte("[daemon]\n"+tt.toml+"\n"), 0o644)
		t.Setenv("SHOAL_CONFIG", cfg)
		code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir(),
			"--socket", filepath.Join(shortTemp(t), "d.sock"), "--download-dir", t.TempDir())
		if code != exitUsage || !strings.Contains(errs, tt.want) {
			t.Errorf("%s: exit %d, %q; want %d naming %s", tt.toml, code, errs, exitUsage, tt.want)
		}
	}
}

// A settings.json that does not parse stops the daemon at start (exit 2)
// and is left as it was.
func TestDaemon_DamagedSettingsIsUsageError(t *testing.T) {
	state := t.TempDir()
	bad := []byte("{not json")
	os.WriteFile(filepath.Join(state, "settings.json"), bad, 0o600)
	code, _, errs := shoalRun(t, "daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", state,
		"--socket", filepath.Join(shortTemp(t), "d.sock"), "--download-dir", t.TempDir())
	if code != exitUsage || !strings.Contains(errs, "settings.json") || !strings.Contains(errs, "move it away") {
		t.Errorf("daemon with a damaged settings.json: exit %d, %q; want %d saying to move it away", code, errs, exitUsage)
	}
	if b, _ := os.ReadFile(filepath.Join(state, "settings.json")); string(b) != string(bad) {
		t.Errorf("settings.json was changed to %q", b)
	}
}
