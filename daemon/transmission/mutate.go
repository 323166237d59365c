package transmission

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// fileArgs are the file selection arguments of torrent-add and
// torrent-set. A present but empty list means every file.
type fileArgs struct {
	FilesWanted    *[]int `json:"files-wanted"`
	FilesUnwanted  *[]int `json:"files-unwanted"`
	PriorityHigh   *[]int `json:"priority-high"`
	PriorityNormal *[]int `json:"priority-normal"`
	PriorityLow    *[]int `json:"priority-low"`
}

func (f *fileArgs) any() bool {
	return f.FilesWanted != nil || f.FilesUnwanted != nil || f.PriorityHigh != nil || f.PriorityNormal != nil || f.PriorityLow != nil
}

// selection is torrent-add's files-wanted and files-unwanted as a
// selection the engine applies before it fetches anything: unwanted
// first, then wanted, as Transmission applies them, so a file in both
// lists is wanted. nil when nothing is unwanted.
func (f *fileArgs) selection() (*pieces.Selection, error) {
	if f.FilesUnwanted == nil {
		return nil, nil
	}
	if len(*f.FilesUnwanted) == 0 {
		return nil, errors.New(`"files-unwanted" is empty, which means every file: that leaves nothing to download`)
	}
	wanted := make(map[int]bool)
	if f.FilesWanted != nil {
		for _, i := range *f.FilesWanted {
			wanted[i] = true
		}
	}
	sel := &pieces.Selection{}
	for _, i := range *f.FilesUnwanted {
		if !wanted[i] && !slices.Contains(sel.SkipFiles, i) {
			sel.SkipFiles = append(sel.SkipFiles, i)
		}
	}
	if len(sel.SkipFiles) == 0 {
		return nil, nil
	}
	return sel, nil
}

// plan turns the arguments into shoal priorities for the files of t.
// Wanted and unwanted apply first; priorities then apply to wanted files
// only, since shoal's one priority per file cannot keep a skipped file's
// priority. shoal has no low priority: low is normal.
func (f *fileArgs) plan(t *swarm.TorrentSnapshot) (map[int]swarm.Priority, error) {
	if !hasMetadata(t) {
		return nil, errors.New("its file list is not known yet (the magnet's metadata has not arrived)")
	}
	cur := make([]swarm.Priority, len(t.Files))
	for i, fs := range t.Files {
		cur[i] = fs.Priority
	}
	out := make(map[int]swarm.Priority)
	apply := func(list *[]int, f func(swarm.Priority) swarm.Priority) error {
		if list == nil {
			return nil
		}
		idx := *list
		if len(idx) == 0 {
			idx = make([]int, len(cur))
			for i := range idx {
				idx[i] = i
			}
		}
		for _, i := range idx {
			if i < 0 || i >= len(cur) {
				return fmt.Errorf("file index %d out of range: the torrent has %d files (0 to %d)", i, len(cur), len(cur)-1)
			}
			if p := f(cur[i]); p != cur[i] {
				cur[i], out[i] = p, p
			}
		}
		return nil
	}
	unlessSkipped := func(p swarm.Priority) func(swarm.Priority) swarm.Priority {
		return func(c swarm.Priority) swarm.Priority {
			if c == swarm.PrioritySkip {
				return c
			}
			return p
		}
	}
	for _, step := range []struct {
		list *[]int
		f    func(swarm.Priority) swarm.Priority
	}{
		{f.FilesUnwanted, func(swarm.Priority) swarm.Priority { return swarm.PrioritySkip }},
		{f.FilesWanted, func(c swarm.Priority) swarm.Priority {
			if c == swarm.PrioritySkip {
				return swarm.PriorityNormal
			}
			return c
		}},
		{f.PriorityHigh, unlessSkipped(swarm.PriorityHigh)},
		{f.PriorityNormal, unlessSkipped(swarm.PriorityNormal)},
		{f.PriorityLow, unlessSkipped(swarm.PriorityNormal)},
	} {
		if err := apply(step.list, step.f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (h *Handler) applyFiles(t *swarm.TorrentSnapshot, f *fileArgs) error {
	plan, err := f.plan(t)
	if err != nil {
		return err
	}
	for i, p := range plan {
		if err := h.b.SetFilePriority(t.InfoHash, i, p); err != nil {
			return fmt.Errorf("file %d: %w", i, err)
		}
	}
	return nil
}

type addArgs struct {
	Filename          *string `json:"filename"`
	Metainfo          *string `json:"metainfo"`
	DownloadDir       string  `json:"download-dir"`
	Paused            bool    `json:"paused"`
	Cookies           string  `json:"cookies"`
	BandwidthPriority int     `json:"bandwidthPriority"`
	Sequential        bool    `json:"sequentialDownload"`
	fileArgs
}

func (h *Handler) torrentAdd(r *http.Request, raw []byte) (any, error) {
	var a addArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	sel, err := a.fileArgs.selection()
	if err != nil {
		return nil, fmt.Errorf("torrent-add: %w", err)
	}
	req := AddRequest{Dir: a.DownloadDir, Paused: a.Paused, Select: sel, Sequential: a.Sequential}
	// Priorities need the file list; wanted and unwanted are done.
	prio := fileArgs{PriorityHigh: a.PriorityHigh, PriorityNormal: a.PriorityNormal, PriorityLow: a.PriorityLow}
	switch {
	case a.Filename != nil && a.Metainfo != nil:
		return nil, errors.New(`torrent-add takes "filename" or "metainfo", not both`)
	case a.Filename != nil:
		req.Source = strings.TrimSpace(*a.Filename)
		if req.Source == "" {
			return nil, errors.New(`torrent-add: "filename" is empty`)
		}
	case a.Metainfo != nil:
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*a.Metainfo), ""))
		if err != nil {
			return nil, fmt.Errorf(`torrent-add: "metainfo" is not base64: %w`, err)
		}
		req.Metainfo = b
	default:
		return nil, errors.New(`torrent-add needs "filename" (a magnet link, URL or path) or "metainfo" (a base64 .torrent)`)
	}
	if a.Cookies != "" {
		return nil, errors.New(`torrent-add: "cookies" is not supported by shoal`)
	}
	if a.BandwidthPriority != 0 {
		return nil, errors.New(`torrent-add: "bandwidthPriority" is not supported by shoal`)
	}
	added, err := h.b.Add(r.Context(), req)
	if err != nil {
		return nil, err
	}
	name := added.Name
	if name == "" {
		name = hex.EncodeToString(added.InfoHash[:])
	}
	info := object{{"id", added.ID}, {"name", name}, {"hashString", hex.EncodeToString(added.InfoHash[:])}}
	key := "torrent-added"
	if added.Duplicate {
		key = "torrent-duplicate"
	}
	if prio.any() && !added.Duplicate {
		if t := findTorrent(h.b.Snapshot(), added.InfoHash); t == nil {
			return nil, errors.New("torrent-add: added, but the torrent is not in the session yet to set its files")
		} else if err := h.applyFiles(t, &prio); err != nil {
			return nil, fmt.Errorf("torrent-add: added, but its files were not set: %w", err)
		}
	}
	return object{{key, info}}, nil
}

func findTorrent(s *swarm.Snapshot, ih swarm.InfoHash) *swarm.TorrentSnapshot {
	for i := range s.Torrents {
		if s.Torrents[i].InfoHash == ih {
			return &s.Torrents[i]
		}
	}
	return nil
}
