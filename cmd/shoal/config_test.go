package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfig_ReadTheSameWayEverywhere: a SHOAL_CONFIG that names nothing
// is said and exits 2; an unknown key stops every command, the tracker
// and the DHT node as much as get.
func TestConfig_ReadTheSameWayEverywhere(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("listen = \":6881\"\nlisten_port = 1\n"), 0o644)
	state := filepath.Join(dir, "state")
	commands := [][]string{
		{"get", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", "--no-tui", "--no-dht", "--listen", "127.0.0.1:0", "--state-dir", state},
		{"tracker", "--http", "127.0.0.1:0", "--udp", "off", "--state", filepath.Join(dir, "tracker-state")},
		{"dht", "--listen", "127.0.0.1:0", "--state", ""},
		{"info", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"},
	}
	for _, tt := range []struct {
		name, config, says string
	}{
		{"missing file", missing, "shoal: SHOAL_CONFIG names " + missing + ", which does not exist"},
		{"unknown key", bad, "shoal: config file " + bad + `: unknown key "listen_port"`},
	} {
		t.Setenv("SHOAL_CONFIG", tt.config)
		for _, args := range commands {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				code, _, stderr := shoalRun(t, args...)
				if first := strings.SplitN(stderr, "\n", 2)[0]; code != exitUsage || !strings.HasPrefix(first, tt.says) {
					t.Errorf("exit %d, stderr %q; want %d starting %q", code, stderr, exitUsage, tt.says)
				}
			})
		}
	}
	// version still works, whatever the config says.
	if code, out, _ := shoalRun(t, "version"); code != 0 || !strings.HasPrefix(out, "shoal ") {
		t.Errorf("version with a bad config: exit %d %q", code, out)
	}
}
