package main

import (
	"os"
	"testing"

	"github.com/adrg/xdg"
)

// TestMain keeps every test off the public DHT and out of the user's own
// state and config: a test DHT node bootstraps from nothing unless the test
// names local nodes, and XDG paths point into a temporary folder.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "shoal-cmd-test-*")
	if err != nil {
		panic(err)
	}
	for _, k := range []string{"XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"} {
		os.Setenv(k, home+"/"+k)
	}
	os.Setenv(envDHTBootstrap, noBootstrap)
	os.Unsetenv("SHOAL_CONFIG")
	xdg.Reload()
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}
