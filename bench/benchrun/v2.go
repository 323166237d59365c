//go:build linux

package main

import (
	"fmt"
	"path/filepath"
)

// BitTorrent v2 (BEP 52) figures: what SHA-256 Merkle trees cost to make
// and to check next to v1's SHA-1 (with shoal's per-file BLAKE3 digests,
// which v1 and hybrid torrents carry and v2 ones do not).

// createFormats times 'shoal create --format F' of the payload for each
// format, one after another (the payload is in the page cache by then:
// these are hashing figures, not disk ones), and returns the v2 torrent.
func (b *bench) createFormats(payload string, sizeMiB int64) (v2Torrent string) {
	for _, format := range []string{"v1", "v2", "hybrid"} {
		out := filepath.Join(b.dir, "payload-"+format+".torrent")
		ru, wall := b.runToEnd("create --format "+format, "create", payload, "-o", out, "--force", "--format", format)
		fmt.Printf("%-22s %8.1f MiB/s  (%.2fs wall, %.2f CPU s, peak RSS %d MiB)  %s\n", "create "+format+":",
			float64(sizeMiB)/wall.Seconds(), wall.Seconds(), cpu(ru), ru.Maxrss>>10, b.tag(0))
		if format == "v2" {
			v2Torrent = out
		}
	}
	return v2Torrent
}

// v2Transfer downloads the payload by torrent, a v2-only one, from one
// seed, warm, to read next to the v1 "1 seed(s)" warm line: pieces are
// checked against the files' Merkle trees instead of SHA-1, and there is
// no BLAKE3 pass at the end.
func (b *bench) v2Transfer(torrent, payload string, sizeMiB int64) {
	b.transfer(torrent, payload, "v2", 1, sizeMiB, "warm")
}
