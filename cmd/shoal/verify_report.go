package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shoal-bt/shoal/pieces"
)

// fileVerdict is what verify found about one file; with --json it is
// printed as is (docs/json.md).
type fileVerdict struct {
	Type      string `json:"type"` // "file"
	Path      string `json:"path"`
	Status    string `json:"status"` // ok, missing, longer, shorter, bad, unreadable
	Size      int64  `json:"size"`   // as the torrent says
	DiskSize  int64  `json:"diskSize"`
	BadPieces []int  `json:"badPieces"`
	Blake3    string `json:"blake3"` // match, differs, none (no digest), "" (not read)
	Root      string `json:"root"`   // the v2 Merkle root: the same values
	Err       string `json:"error"`
}

// verdict is verify's account of a whole torrent.
type verdict struct {
	Type          string `json:"type"` // "verify"
	OK            bool   `json:"ok"`
	Files         int    `json:"files"`
	FilesGood     int    `json:"filesGood"`
	FilesMissing  int    `json:"filesMissing"`
	Blake3Checked int    `json:"blake3Checked"`
	RootsChecked  int    `json:"rootsChecked"`
	Pieces        int    `json:"pieces"`
	PiecesGood    int    `json:"piecesGood"`
	// Pieces that fail although every file they touch is good by its
	// size and digest: the torrent's hashes disagree with its digests.
	Unexplained []int `json:"unexplainedPieces"`

	files []fileVerdict
}

// judge decides each file's verdict. A file's own evidence wins: its size
// first, then its digests (BLAKE3, v2 Merkle root) when the torrent has
// them, all of which must match, and only for a file without a digest the
// pieces it overlaps, since a piece shared with a bad neighbour fails
// although this file's bytes are right.
func judge(dir string, info *pieces.Info, stamps []pieces.FileStamp, have pieces.Bitfield, results, roots []pieces.FileResult) verdict {
	v := verdict{Type: "verify", Pieces: info.NumPieces(), PiecesGood: have.Count()}
	byFile := map[int]pieces.FileResult{}
	for _, r := range results {
		byFile[r.Index] = r
	}
	byRoot := map[int]pieces.FileResult{}
	for _, r := range roots {
		byRoot[r.Index] = r
	}
	good := make([]bool, len(info.Files))
	for k, f := range info.Files {
		if f.Padding {
			good[k] = true
			continue
		}
		fv := fileVerdict{Type: "file", Path: filepath.Join(append([]string{dir, info.Name}, f.Path...)...),
			Size: f.Length, DiskSize: stamps[k].Size, Status: "ok"}
		first, end := info.PiecesOf(k)
		for p := first; p < end; p++ {
			if !have.Has(p) {
				fv.BadPieces = append(fv.BadPieces, p)
			}
		}
		rb, hasB := byFile[k]
		rr, hasR := byRoot[k]
		fv.Blake3 = digestStatus(rb, hasB, pieces.ErrDigestMismatch, &v.Blake3Checked)
		fv.Root = digestStatus(rr, hasR, pieces.ErrRootMismatch, &v.RootsChecked)
		digest := hasB || hasR
		r := pieces.FileResult{OK: (!hasB || rb.OK) && (!hasR || rr.OK)}
		for _, d := range []pieces.FileResult{rb, rr} {
			if d.Err != nil && r.Err == nil {
				r.Err = d.Err
			}
		}
		mismatch := func(err error) bool {
			return errors.Is(err, pieces.ErrDigestMismatch) || errors.Is(err, pieces.ErrRootMismatch)
		}
		switch {
		case stamps[k].Size < 0:
			fv.Status, fv.Blake3, fv.Root, fv.BadPieces = "missing", "", "", nil
			v.FilesMissing++
		case stamps[k].Size > f.Length:
			fv.Status = "longer"
		case stamps[k].Size < f.Length:
			fv.Status = "shorter"
		case digest && r.Err != nil && !mismatch(r.Err):
			fv.Status, fv.Err = "unreadable", r.Err.Error()
		case digest && r.OK:
			fv.BadPieces = nil // shared pieces that fail are a neighbour's
		case digest || len(fv.BadPieces) > 0:
			fv.Status = "bad"
		}
		if fv.Status == "ok" {
			good[k] = true
			v.FilesGood++
		}
		v.Files++
		v.files = append(v.files, fv)
	}
	for p := range v.Pieces {
		if have.Has(p) {
			continue
		}
		explained := false
		for k := range info.Files {
			if first, end := info.PiecesOf(k); p >= first && p < end && !good[k] {
				explained = true
			}
		}
		if !explained {
			v.Unexplained = append(v.Unexplained, p)
		}
	}
	v.OK = v.FilesGood == v.Files && len(v.Unexplained) == 0
	return v
}

// digestStatus is a file's verdict on one kind of digest: match, differs,
// none (the torrent has no such digest for it) or "" (not read). checked
// counts the files it was compared for.
func digestStatus(r pieces.FileResult, has bool, mismatch error, checked *int) string {
	switch {
	case !has:
		return "none"
	case r.OK:
		*checked++
		return "match"
	case errors.Is(r.Err, mismatch):
		*checked++
		return "differs"
	}
	return ""
}

func (v verdict) print(a *app, asJSON bool) {
	if asJSON {
		for _, f := range v.files {
			if f.BadPieces == nil {
				f.BadPieces = []int{}
			}
			if f.Status != "ok" {
				a.emitJSON(f)
			}
		}
		if v.Unexplained == nil {
			v.Unexplained = []int{}
		}
		a.emitJSON(v)
		return
	}
	for _, f := range v.files {
		if line := f.line(); line != "" {
			fmt.Fprintln(a.stdout, line)
		}
	}
	if len(v.Unexplained) > 0 {
		fmt.Fprintf(a.stdout, "BAD      piece(s) %s fail their hash although every file in them matches its digests\n", ranges(v.Unexplained))
	}
	var parts []string
	if v.FilesMissing > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", v.FilesMissing))
	}
	if n := v.Files - v.FilesGood - v.FilesMissing; n > 0 {
		parts = append(parts, fmt.Sprintf("%d bad", n))
	}
	detail := ""
	if len(parts) > 0 {
		detail = " (" + strings.Join(parts, ", ") + ")"
	}
	roots := ""
	if v.RootsChecked > 0 {
		roots = fmt.Sprintf(", %d with their v2 Merkle root", v.RootsChecked)
	}
	fmt.Fprintf(a.stdout, "%d of %d file(s) good%s; %d checked with BLAKE3%s; %d of %d pieces good\n",
		v.FilesGood, v.Files, detail, v.Blake3Checked, roots, v.PiecesGood, v.Pieces)
	if v.OK {
		fmt.Fprintln(a.stdout, "OK: everything matches")
	}
}

// line is the text report of one file, "" for a good one.
func (f fileVerdict) line() string {
	var why []string
	switch f.Status {
	case "ok":
		return ""
	case "missing":
		return "MISSING  " + f.Path
	case "longer":
		why = append(why, fmt.Sprintf("%d bytes longer than the torrent says (%d on disk, %d expected)", f.DiskSize-f.Size, f.DiskSize, f.Size))
	case "shorter":
		why = append(why, fmt.Sprintf("%d bytes shorter than the torrent says (%d on disk, %d expected)", f.Size-f.DiskSize, f.DiskSize, f.Size))
	case "unreadable":
		return fmt.Sprintf("ERROR    %s: %s", f.Path, f.Err)
	}
	if len(f.BadPieces) > 0 {
		why = append(why, fmt.Sprintf("%d piece(s) missing or wrong: %s", len(f.BadPieces), ranges(f.BadPieces)))
	}
	if f.Blake3 == "differs" {
		why = append(why, "BLAKE3 digest differs")
	}
	if f.Root == "differs" {
		why = append(why, "v2 Merkle root differs")
	}
	return fmt.Sprintf("BAD      %s: %s", f.Path, strings.Join(why, "; "))
}

// ranges prints piece lists compactly: "3-7, 12, 40-41".
func ranges(ps []int) string {
	s := ""
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if s != "" {
			s += ", "
		}
		if j > i {
			s += fmt.Sprintf("%d-%d", ps[i], ps[j])
		} else {
			s += fmt.Sprintf("%d", ps[i])
		}
		if len(s) > 200 {
			return s + ", …"
		}
		i = j + 1
	}
	return s
}
