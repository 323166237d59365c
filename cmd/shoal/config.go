package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/adrg/xdg"
)

// fileConfig is $XDG_CONFIG_HOME/shoal/config.toml (or $SHOAL_CONFIG).
// Flags win over it; it wins over built-in defaults. Unknown keys are an
// error, so a typo is not silently ignored.
type fileConfig struct {
	DHTBootstrap []string `toml:"dht_bootstrap"`
	Listen       string   `toml:"listen"`
	StateDir     string   `toml:"state_dir"`
	Encryption   string   `toml:"encryption"`
	// BufferedWrites is --buffered-writes for every command.
	BufferedWrites bool             `toml:"buffered_writes"`
	Daemon         daemonFileConfig `toml:"daemon"` // see cmd_daemon_config.go
}

func configPath() string {
	if p := os.Getenv("SHOAL_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(xdg.ConfigHome, "shoal", "config.toml")
}

// loadConfig reads the config file; a missing default file is an empty
// config, but a $SHOAL_CONFIG that names nothing is a mistake to say.
func loadConfig() (fileConfig, error) {
	var c fileConfig
	path := configPath()
	md, err := toml.DecodeFile(path, &c)
	switch {
	case errors.Is(err, fs.ErrNotExist) && os.Getenv("SHOAL_CONFIG") != "":
		return c, usageErrorf("SHOAL_CONFIG names %s, which does not exist: create it, or unset SHOAL_CONFIG to use %s",
			path, filepath.Join(xdg.ConfigHome, "shoal", "config.toml"))
	case errors.Is(err, fs.ErrNotExist):
		return fileConfig{}, nil
	case err != nil:
		return c, usageErrorf("config file %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return c, usageErrorf("config file %s: unknown key %q (known: dht_bootstrap, listen, state_dir, encryption, [daemon])", path, un[0].String())
	}
	return c, nil
}
