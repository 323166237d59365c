package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

// version is set by release builds (-ldflags "-X main.version=v1.2.3");
// otherwise the module version from the build info is used.
// commit likewise (make build sets it), for builds without VCS stamping.
var (
	version = ""
	commit  = ""
)

// versionInfo is what `shoal version --json` prints.
type versionInfo struct {
	Type     string `json:"type"` // "version"
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Time     string `json:"commitTime"`
	Modified bool   `json:"modified"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func buildVersion() versionInfo {
	v := versionInfo{Type: "version", Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "unknown"
		}
		return v
	}
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.Commit == "" {
				v.Commit = s.Value
			}
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v versionInfo) String() string {
	s := "shoal " + v.Version
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if v.Time != "" {
			s += ", " + v.Time
		}
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + v.Go + " " + v.Platform
}

func (a *app) printVersion(asJSON bool) {
	v := buildVersion()
	if asJSON {
		a.emitJSON(v)
		return
	}
	fmt.Fprintln(a.stdout, v)
}

func newVersionCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print shoal's version, commit and Go version",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			a.printVersion(asJSON)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print it as one JSON object")
	return cmd
}
