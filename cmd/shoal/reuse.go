package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// reuseFlags are get's and add's --reuse DIR and --reuse-link.
type reuseFlags struct {
	dirs []string
	link bool
}

const reuseHelp = "a folder to look in for files the torrent wants (same length, then same v2 root or BLAKE3 digest), " +
	"put in place instead of downloaded (repeatable); only files of a wanted length are read, links are not followed"

func (f *reuseFlags) add(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.dirs, "reuse", nil, reuseHelp)
	fs.BoolVar(&f.link, "reuse-link", false, "where a reflink cannot be made, put found files in place as hard links instead of copies: "+
		"the two names are then one file, and an edit to one is an edit to the other")
}

// folders checks the --reuse folders and returns them absolute: one that
// does not exist is exit 3, one that is not a folder exit 2.
func (f *reuseFlags) folders() ([]string, error) {
	var out []string
	for _, d := range f.dirs {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withCode(exitNotFound, fmt.Errorf("--reuse %s: no such folder", d))
		}
		if err != nil {
			return nil, usageErrorf("--reuse %s: %w", d, err)
		}
		if !fi.IsDir() {
			return nil, usageErrorf("--reuse %s: not a folder (name the folder that holds the files)", d)
		}
		out = append(out, absPath(d))
	}
	return out, nil
}

// options is what the engine needs for one torrent: the folders, the
// link choice, and the files of the library's other torrents.
func (f *reuseFlags) options(lib *library, ih swarm.InfoHash) (swarm.ReuseOptions, error) {
	dirs, err := f.folders()
	if err != nil {
		return swarm.ReuseOptions{}, err
	}
	known := func() []pieces.KnownFile { return libraryFiles(lib, ih) }
	return swarm.ReuseOptions{Dirs: dirs, Link: f.link, Known: known}, nil
}

// libraryFiles lists the files with an identity of the torrents in the
// library (what shoal seeds or downloaded, from library.json) other than
// skip, for a one-process command whose session holds none of them. They
// are read only once placed, to be checked; a library that cannot be
// read gives none. It runs on the engine's open worker, so it reads
// library.json through a Library of its own, not lib's.
func libraryFiles(lib *library, skip swarm.InfoHash) []pieces.KnownFile {
	if lib == nil || lib.dir == "" {
		return nil
	}
	es, err := (&daemon.Library{Dir: lib.dir}).Load()
	if err != nil {
		return nil
	}
	var out []pieces.KnownFile
	for _, e := range es {
		if e.Torrent == "" || e.InfoHash == fmt.Sprintf("%x", skip[:]) {
			continue
		}
		b, err := os.ReadFile(e.Torrent)
		if err != nil {
			continue
		}
		tor, err := pieces.Parse(b)
		if err != nil {
			continue
		}
		out = append(out, knownFiles(tor.Info, e.Dir)...)
	}
	return out
}

// knownFiles are info's files with an identity, as found under dir.
func knownFiles(info *pieces.Info, dir string) []pieces.KnownFile {
	var out []pieces.KnownFile
	for _, f := range info.Files {
		if f.Padding || f.Length == 0 || (f.Root == nil && f.Blake3 == nil) {
			continue
		}
		p := filepath.Join(append([]string{dir, info.Name}, f.Path...)...)
		out = append(out, pieces.KnownFile{Path: p, Length: f.Length, Root: f.Root, Blake3: f.Blake3})
	}
	return out
}
