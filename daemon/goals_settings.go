package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shoal-bt/shoal/internal/atomicfile"
)

// TorrentSettings are what the daemon keeps per torrent beside the
// library: seeding goals, labels, and the totals the goals are measured
// against (the engine's counters start at zero with every run).
type TorrentSettings struct {
	// SeedRatio: 0 follows the global goal, below 0 seeds without a ratio
	// limit, above 0 is this torrent's limit.
	SeedRatio float64 `json:"seed_ratio,omitempty"`
	// SeedTimeSeconds: as SeedRatio, for the time spent seeding.
	SeedTimeSeconds int64    `json:"seed_time_seconds,omitempty"`
	Labels          []string `json:"labels,omitempty"`
	// The torrent's own rate limits, beside the daemon's; 0: none.
	DownLimitBps int64 `json:"down_limit_bps,omitempty"`
	UpLimitBps   int64 `json:"up_limit_bps,omitempty"`

	// Totals of the runs before this one, added to the engine's own.
	UploadedBefore   int64 `json:"uploaded_before,omitempty"`
	DownloadedBefore int64 `json:"downloaded_before,omitempty"`
	SeededBefore     int64 `json:"seeded_seconds_before,omitempty"`
}

// settingsFile is settings.json in the state dir: infohash (hex) to
// TorrentSettings. Only the daemon's goal loop and Set write it, under
// Daemon.setMu.
func (d *Daemon) settingsPath() string { return filepath.Join(d.lib.Dir, "settings.json") }

// loadSettings reads settings.json; a missing file is no settings. A file
// that does not parse is an error: shoal never overwrites a file it
// cannot read.
func (d *Daemon) loadSettings() (map[string]TorrentSettings, error) {
	b, err := os.ReadFile(d.settingsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]TorrentSettings{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]TorrentSettings{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w; move it away to start without per-torrent goals and labels", d.settingsPath(), err)
	}
	return m, nil
}

func (d *Daemon) saveSettingsLocked() error {
	b, err := json.MarshalIndent(d.settings, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(d.settingsPath(), b, 0o600, false)
}

// settingsOf returns a copy of ih's settings.
func (d *Daemon) settingsOf(ih string) TorrentSettings {
	d.setMu.Lock()
	defer d.setMu.Unlock()
	s := d.settings[ih]
	s.Labels = slices.Clone(s.Labels)
	return s
}

// editSettings changes ih's settings with f and saves the file.
func (d *Daemon) editSettings(ih string, f func(*TorrentSettings)) error {
	d.setMu.Lock()
	defer d.setMu.Unlock()
	if d.settings == nil {
		d.settings = map[string]TorrentSettings{}
	}
	s := d.settings[ih]
	f(&s)
	d.settings[ih] = s
	return d.saveSettingsLocked()
}

// CleanLabels trims labels, drops empty and repeated ones, and refuses
// ones no filter could type (control characters, commas, over 64 bytes).
func CleanLabels(in []string) ([]string, error) {
	var out []string
	for _, l := range in {
		l = strings.TrimSpace(l)
		if l == "" || slices.Contains(out, l) {
			continue
		}
		if len(l) > 64 || strings.ContainsAny(l, ",\n\r\t") || strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, errorf(KindBadRequest, "label %.70q: up to 64 characters, no commas or control characters", l)
		}
		out = append(out, l)
	}
	if len(out) > 32 {
		return nil, errorf(KindBadRequest, "%d labels: 32 at most", len(out))
	}
	return out, nil
}
