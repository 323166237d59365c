package tracker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// accessList is one immutable view of who may use the tracker. A reload
// builds a new one and swaps the pointer, so announces never wait for disk.
type accessList struct {
	restricted bool                // an allow-list is in force
	allowed    map[InfoHash]string // infohash -> name ("" when the list gave none)
	passkeys   map[string]string   // key -> owner; nil when passkeys are off
}

func (l *accessList) check(ih InfoHash, passkey string) error {
	if l.passkeys != nil {
		if passkey == "" {
			return ErrPasskeyMissing
		}
		if _, ok := l.passkeys[passkey]; !ok {
			return ErrPasskey
		}
	}
	if l.restricted {
		if _, ok := l.allowed[ih]; !ok {
			return fmt.Errorf("%s: %w", ih, ErrUnregistered)
		}
	}
	return nil
}

// access loads the allow-list and passkeys files and reloads them when their
// size or modification time changes.
type access struct {
	allowFile, torrentsDir, passkeysFile string
	log                                  *slog.Logger

	cur atomic.Pointer[accessList]
	sig uint64 // of the files behind cur; only the reload loop touches it
}

func newAccess(cfg Config) (*access, error) {
	a := &access{allowFile: cfg.AllowFile, torrentsDir: cfg.TorrentsDir, passkeysFile: cfg.PasskeysFile, log: cfg.Logger}
	a.sig = a.signature()
	l, err := a.load()
	if err != nil {
		return nil, err
	}
	a.cur.Store(l)
	return a, nil
}

func (a *access) list() *accessList { return a.cur.Load() }

func (a *access) enabled() bool {
	return a.allowFile != "" || a.torrentsDir != "" || a.passkeysFile != ""
}

// run polls the files until ctx is done. A list that fails to load is
// logged and the old one stays in force: a half-written file must not open
// (or close) the tracker.
func (a *access) run(ctx context.Context, every time.Duration) {
	if !a.enabled() {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sig := a.signature()
		if sig == a.sig {
			continue
		}
		l, err := a.load()
		if err != nil {
			a.log.Warn("Access list reload failed; keeping the old one", "err", err)
			continue
		}
		a.sig = sig
		a.cur.Store(l)
		a.log.Info("Access list reloaded", "torrents", len(l.allowed), "passkeys", len(l.passkeys))
	}
}

// signature hashes the names, sizes and modification times of every file
// the lists come from.
func (a *access) signature() uint64 {
	h := fnv.New64a()
	add := func(path string) {
		fi, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(h, "%s missing\n", path)
			return
		}
		fmt.Fprintf(h, "%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
	}
	if a.allowFile != "" {
		add(a.allowFile)
	}
	if a.passkeysFile != "" {
		add(a.passkeysFile)
	}
	if a.torrentsDir != "" {
		add(a.torrentsDir)
		_ = filepath.WalkDir(a.torrentsDir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".torrent") {
				add(path)
			}
			return nil
		})
	}
	return h.Sum64()
}

func (a *access) load() (*accessList, error) {
	l := &accessList{}
	if a.allowFile != "" || a.torrentsDir != "" {
		l.restricted = true
		l.allowed = make(map[InfoHash]string)
	}
	if a.allowFile != "" {
		b, err := os.ReadFile(a.allowFile)
		if err != nil {
			return nil, fmt.Errorf("allow-list: %w", err)
		}
		if err := parseAllowList(b, l.allowed); err != nil {
			return nil, fmt.Errorf("allow-list %s: %w", a.allowFile, err)
		}
	}
	if a.torrentsDir != "" {
		if err := a.loadTorrents(l.allowed); err != nil {
			return nil, err
		}
	}
	if a.passkeysFile != "" {
		b, err := os.ReadFile(a.passkeysFile)
		if err != nil {
			return nil, fmt.Errorf("passkeys: %w", err)
		}
		keys, err := ParsePasskeys(b)
		if err != nil {
			return nil, fmt.Errorf("passkeys %s: %w", a.passkeysFile, err)
		}
		l.passkeys = keys
	}
	return l, nil
}

// loadTorrents adds every .torrent under the folder. One bad file is logged
// and skipped, so a broken download does not lock everyone out.
func (a *access) loadTorrents(into map[InfoHash]string) error {
	if _, err := os.Stat(a.torrentsDir); err != nil {
		return fmt.Errorf("torrents folder: %w", err)
	}
	return filepath.WalkDir(a.torrentsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("torrents folder: %w", err)
		}
		if d.IsDir() || !strings.HasSuffix(path, ".torrent") {
			return nil
		}
		// The same parser and checks as `shoal get`: a torrent shoal would
		// refuse (malformed, unsafe paths) is not tracked either, and the
		// log says why.
		t, err := pieces.Load(path)
		if err != nil {
			a.log.Warn("Skipping unreadable torrent", "path", path, "err", err)
			return nil
		}
		into[InfoHash(t.InfoHash)] = t.Info.Name
		if t.Info.HasV2() {
			// BEP 52: v2 peers announce the v2 infohash truncated to 20
			// bytes; a hybrid's swarm is both.
			into[InfoHash(pieces.Truncated(t.InfoHashV2))] = t.Info.Name
		}
		return nil
	})
}

// ParseAllowList reads an allow-list: one infohash per line (40 hex digits,
// or a BEP 52 v2 one of 64, which peers announce truncated to its first 40,
// or a magnet link with either), optionally followed by a name; blank lines
// and #-comments are skipped.
func ParseAllowList(b []byte) (map[InfoHash]string, error) {
	m := make(map[InfoHash]string)
	return m, parseAllowList(b, m)
}

func parseAllowList(b []byte, into map[InfoHash]string) error {
	return eachLine(b, func(n int, line string) error {
		field, name, _ := strings.Cut(line, " ")
		field, name = strings.TrimSpace(field), strings.TrimSpace(name)
		if h, ok := strings.CutPrefix(field, "magnet:?xt=urn:btih:"); ok {
			field, _, _ = strings.Cut(h, "&")
		} else if h, ok := strings.CutPrefix(field, "magnet:?xt=urn:btmh:1220"); ok {
			field, _, _ = strings.Cut(h, "&")
		}
		if len(field) == 64 {
			field = field[:40] // a v2 infohash, as announced
		}
		var ih InfoHash
		if len(field) != 40 {
			return fmt.Errorf("line %d: %w: want a hex infohash of 40 digits (v1) or 64 (v2)", n, ErrSyntax)
		}
		if _, err := hex.Decode(ih[:], []byte(field)); err != nil {
			return fmt.Errorf("line %d: %w: %w", n, ErrSyntax, err)
		}
		into[ih] = name
		return nil
	})
}

// ParsePasskeys reads a passkeys file: one key per line (letters, digits,
// '-', '_', '.', '~'; up to 64), optionally followed by who holds it.
func ParsePasskeys(b []byte) (map[string]string, error) {
	m := make(map[string]string)
	err := eachLine(b, func(n int, line string) error {
		key, owner, _ := strings.Cut(line, " ")
		if key == "" || len(key) > maxPasskeyLen || string(escape(nil, []byte(key))) != key {
			return fmt.Errorf("line %d: %w: a passkey is 1-64 of A-Z a-z 0-9 - _ . ~", n, ErrSyntax)
		}
		m[key] = strings.TrimSpace(owner)
		return nil
	})
	return m, err
}

func eachLine(b []byte, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(strings.ReplaceAll(line, "\t", " "))
		if line == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return sc.Err()
}
