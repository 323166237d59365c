package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// app is what every subcommand gets: the streams and the root flags. It is
// built once per run so tests can call run many times in one process.
type app struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer

	logLevel   string
	logFile    string
	cpuProfile string
	log        *slog.Logger
	// file is the config file, read once before any command runs, so that
	// every command reads it the same way (an unknown key stops them all).
	file fileConfig
}

// subcommands are added by the cmd_*.go files' init functions, so each
// subcommand lives in a file of its own and nobody edits a shared list.
var subcommands []func(*app) *cobra.Command

func register(newCmd func(*app) *cobra.Command) { subcommands = append(subcommands, newCmd) }

// run is main without the process: it parses args, runs one subcommand and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr}
	var showVersion, versionJSON bool
	root := &cobra.Command{
		Use:           "shoal",
		Short:         "A BitTorrent client with a DHT, a LAN tracker and a terminal UI",
		Long:          "shoal is a BitTorrent client with a DHT, a LAN tracker and a terminal UI.\n\n" + exitCodeHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.setupLogging(); err != nil {
				return err
			}
			switch cmd.Name() {
			case "version", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
				return nil // these work whatever the config says
			}
			var err error
			a.file, err = loadConfig()
			return err
		},
		// Without this, cobra reports an unknown command as a plain error
		// (exit 1); it is bad usage.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case showVersion:
				a.printVersion(versionJSON)
				return nil
			case len(args) > 0:
				return usageErrorf("unknown command %q", args[0])
			}
			return cmd.Help()
		},
	}
	root.Flags().BoolVar(&showVersion, "version", false, "print the version, commit and Go version")
	root.Flags().BoolVar(&versionJSON, "json", false, "with --version: print it as JSON")
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&a.logFile, "log-file", "", "write logs to this file instead of stderr")
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpu-profile", "", "write a Go CPU profile here (for make bench and bug reports)")
	root.PersistentFlags().MarkHidden("cpu-profile")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%w", err) })
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(a))
	}
	registerCompletions(root)
	err := listenError(root.Execute())
	if a.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	switch code := codeOf(ctx, err); code {
	case exitOK:
	case exitInterrupted:
		fmt.Fprintln(stderr, "shoal: interrupted; run the same command again to resume")
	case exitUsage:
		fmt.Fprintf(stderr, "shoal: %v\nRun 'shoal --help' for usage.\n", err)
	default:
		fmt.Fprintf(stderr, "shoal: %v\n", err)
	}
	return codeOf(ctx, err)
}

func (a *app) setupLogging() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageErrorf("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	w := a.stderr
	if a.logFile != "" {
		// Append: a log file is the user's, and earlier runs' lines are worth keeping.
		f, err := os.OpenFile(a.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return usageErrorf("--log-file: %w", err)
		}
		w = f
	}
	a.log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	if a.cpuProfile != "" {
		f, err := os.Create(a.cpuProfile)
		if err != nil {
			return usageErrorf("--cpu-profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	return nil
}
