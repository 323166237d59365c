package pieces

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ErrBadSelection marks a file selection that cannot be applied: a glob or
// an index that matches no file, a malformed list, or nothing left to get.
var ErrBadSelection = errors.New("bad file selection")

// ParseFileList parses file numbers as BEP 53's so= and `shoal get --files`
// write them: comma-separated numbers and inclusive ranges ("0,2,4-6").
// It returns them sorted without repeats. Numbers are bounded by MaxFiles,
// so a list never expands beyond what a torrent can hold.
func ParseFileList(s string) ([]int, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty file list", ErrBadSelection)
	}
	var spans [][2]int
	for item := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := fileNumber(lo)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadSelection, item, err)
		}
		b := a
		if isRange {
			if b, err = fileNumber(hi); err != nil {
				return nil, fmt.Errorf("%w: %q: %v", ErrBadSelection, item, err)
			}
			if b < a {
				return nil, fmt.Errorf("%w: %q: range ends before it starts", ErrBadSelection, item)
			}
		}
		spans = append(spans, [2]int{a, b})
	}
	// Merged before they are expanded: a 64 KiB magnet of overlapping
	// ranges then costs at most MaxFiles numbers, not thousands of times that.
	slices.SortFunc(spans, func(x, y [2]int) int { return cmp.Compare(x[0], y[0]) })
	var out []int
	next := 0
	for _, sp := range spans {
		for i := max(sp[0], next); i <= sp[1]; i++ {
			out = append(out, i)
		}
		next = max(next, sp[1]+1)
	}
	return out, nil
}

func fileNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || strconv.Itoa(n) != s:
		return 0, fmt.Errorf("%q is not a file number", s)
	case n < 0 || n >= MaxFiles:
		return 0, fmt.Errorf("file number %d out of range (0 to %d)", n, MaxFiles-1)
	}
	return n, nil
}

// FormatFileList writes sorted, distinct file numbers as ParseFileList
// reads them, runs as ranges.
func FormatFileList(files []int) string {
	var b strings.Builder
	for i := 0; i < len(files); {
		j := i
		for j+1 < len(files) && files[j+1] == files[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(files[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(files[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Selection says which files of a torrent to download. The zero value
// wants every file.
type Selection struct {
	Only  []string `json:"only,omitempty"`  // globs: want only the files they match (with Files)
	Files []int    `json:"files,omitempty"` // file numbers as `shoal info` shows them (with Only)
	Skip  []string `json:"skip,omitempty"`  // globs: never these, even when Only or Files name them
	// SkipFiles are file numbers never to get, like Skip; Transmission's
	// torrent-add names unwanted files this way, before a magnet's file
	// list is known.
	SkipFiles []int `json:"skipFiles,omitempty"`
}

// Empty reports whether s wants every file.
func (s Selection) Empty() bool {
	return len(s.Only) == 0 && s.Files == nil && len(s.Skip) == 0 && len(s.SkipFiles) == 0
}

// Wanted applies s to info: one entry per file, true for the files to
// download (BEP 47 pad files never are). A glob or number that matches no
// file, a malformed glob, or a selection that leaves nothing is an error
// wrapping ErrBadSelection that names it.
//
// Globs are matched against a file's path inside the torrent ("sub/a.mkv"),
// or with the torrent's name in front as `shoal info` prints it
// ("name/sub/a.mkv"); '*', '?' and '[...]' match within one path component
// and a "**" component matches any number of them. A glob without '/'
// matches a file's name in any folder ("*.mkv"), and a glob that matches a
// folder selects everything in it.
func (s Selection) Wanted(info *Info) ([]bool, error) {
	want := make([]bool, len(info.Files))
	all := len(s.Only) == 0 && s.Files == nil
	for k, f := range info.Files {
		want[k] = all && !f.Padding
	}
	for _, k := range s.Files {
		if k < 0 || k >= len(info.Files) {
			return nil, fmt.Errorf("%w: no file %d: the torrent has files 0 to %d", ErrBadSelection, k, len(info.Files)-1)
		}
		if info.Files[k].Padding {
			return nil, fmt.Errorf("%w: file %d is padding (BEP 47), not a file to download", ErrBadSelection, k)
		}
		want[k] = true
	}
	for _, g := range s.Only {
		if err := matchEach(info, g, func(k int) { want[k] = true }); err != nil {
			return nil, err
		}
	}
	for _, g := range s.Skip {
		if err := matchEach(info, g, func(k int) { want[k] = false }); err != nil {
			return nil, err
		}
	}
	for _, k := range s.SkipFiles {
		if k < 0 || k >= len(info.Files) {
			return nil, fmt.Errorf("%w: no file %d to skip: the torrent has files 0 to %d", ErrBadSelection, k, len(info.Files)-1)
		}
		want[k] = false
	}
	for _, w := range want {
		if w {
			return want, nil
		}
	}
	return nil, fmt.Errorf("%w: the selection leaves no file to download", ErrBadSelection)
}

func matchEach(info *Info, glob string, f func(k int)) error {
	pat, err := compileGlob(glob)
	if err != nil {
		return err
	}
	n := 0
	for k, file := range info.Files {
		if !file.Padding && pat.matches(info.Name, file.Path) {
			f(k)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: %q matches no file of %s (see shoal info)", ErrBadSelection, glob, info.Name)
	}
	return nil
}

type glob struct {
	segs []string
	base bool // no '/': match the last component anywhere
}

func compileGlob(g string) (glob, error) {
	if g == "" {
		return glob{}, fmt.Errorf("%w: empty glob", ErrBadSelection)
	}
	segs := strings.Split(strings.Trim(g, "/"), "/")
	for _, s := range segs {
		if _, err := path.Match(s, ""); err != nil {
			return glob{}, fmt.Errorf("%w: glob %q: %v", ErrBadSelection, g, err)
		}
	}
	return glob{segs: segs, base: !strings.Contains(g, "/")}, nil
}

// matches reports whether the file at comps under name (comps nil for a
// single-file torrent, whose path is name) is selected by the glob.
func (g glob) matches(name string, comps []string) bool {
	full := append([]string{name}, comps...)
	if g.base {
		for _, c := range full {
			if ok, _ := path.Match(g.segs[0], c); ok {
				return true // the file's name, or a folder it is in
			}
		}
		return false
	}
	// A folder selects what is in it: the glob may match a prefix.
	segs := append(append([]string{}, g.segs...), "**")
	return matchSegs(segs, full) || len(comps) > 0 && matchSegs(segs, comps)
}

// matchSegs matches path components against glob components, "**" taking
// any number of them; dynamic programming keeps it linear in each.
func matchSegs(pat, name []string) bool {
	next := make([]bool, len(name)+1) // row i+1: pat[i+1:] against name[j:]
	next[len(name)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		cur := make([]bool, len(name)+1)
		for j := len(name); j >= 0; j-- {
			if pat[i] == "**" {
				cur[j] = next[j] || j < len(name) && cur[j+1]
			} else if j < len(name) {
				ok, _ := path.Match(pat[i], name[j])
				cur[j] = ok && next[j+1]
			}
		}
		next = cur
	}
	return next[0]
}
