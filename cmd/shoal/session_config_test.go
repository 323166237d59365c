package main

import (
	"log/slog"
	"testing"

	"github.com/spf13/cobra"
)

// TestSessionConfig_BufferedWrites: --buffered-writes and the config
// file's buffered_writes each turn the engine's O_DIRECT writes off;
// neither leaves them on.
func TestSessionConfig_BufferedWrites(t *testing.T) {
	for _, tt := range []struct {
		flag, file, want bool
	}{{false, false, false}, {true, false, true}, {false, true, true}} {
		var f sessionFlags
		cmd := &cobra.Command{Use: "get"}
		f.add(cmd, "dht-get.dat")
		args := []string{"--state-dir", t.TempDir(), "--no-dht"}
		if tt.flag {
			args = append(args, "--buffered-writes")
		}
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		a := &app{log: slog.New(slog.DiscardHandler), file: fileConfig{BufferedWrites: tt.file}}
		cfg, err := f.config(a)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.BufferedWrites != tt.want {
			t.Errorf("flag %v, config file %v: BufferedWrites %v, want %v", tt.flag, tt.file, cfg.BufferedWrites, tt.want)
		}
	}
}
