package tracker

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-bt/shoal/internal/atomicfile"
)

// The state file holds what peers cannot tell us again: each torrent's
// completed counter. Peers themselves come back with their next announce.
const stateHeader = "# shoal tracker state v1: infohash completed\n"

func encodeState(counts map[InfoHash]uint64) []byte {
	var b bytes.Buffer
	b.WriteString(stateHeader)
	ihs := make([]InfoHash, 0, len(counts))
	for ih := range counts {
		ihs = append(ihs, ih)
	}
	slices.SortFunc(ihs, func(a, b InfoHash) int { return bytes.Compare(a[:], b[:]) })
	for _, ih := range ihs {
		fmt.Fprintf(&b, "%s %d\n", ih, counts[ih])
	}
	return b.Bytes()
}

// ParseState reads a state file written by an earlier run.
func ParseState(b []byte) (map[InfoHash]uint64, error) {
	out := make(map[InfoHash]uint64)
	err := eachLine(b, func(n int, line string) error {
		h, c, ok := strings.Cut(line, " ")
		var ih InfoHash
		if !ok || len(h) != 40 {
			return fmt.Errorf("line %d: %w", n, ErrSyntax)
		}
		if _, err := hex.Decode(ih[:], []byte(h)); err != nil {
			return fmt.Errorf("line %d: %w: %w", n, ErrSyntax, err)
		}
		count, err := strconv.ParseUint(strings.TrimSpace(c), 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: %w: %w", n, ErrSyntax, err)
		}
		out[ih] = count
		return nil
	})
	return out, err
}

func loadState(path string) (map[InfoHash]uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // first run
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	m, err := ParseState(b)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return m, nil
}

// writeFileAtomic replaces path with b so that a crash leaves either the old
// file or the new one, never a torn one: write a temporary file beside it,
// sync, rename, sync the folder.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644, true)
}
