package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/internal/blocklist"
	"github.com/shoal-bt/shoal/swarm"
)

// maxBlockedPerTorrent bounds the addresses remembered per torrent for
// the peers view; the count stops there.
const maxBlockedPerTorrent = 4096

// blocker holds the IP blocklist and counts what it refused. The list is
// swapped whole on reload; the session's peer filter reads it.
type blocker struct {
	list    atomic.Pointer[blocklist.List]
	refused atomic.Int64 // dials not made and connections closed at accept

	mu    sync.Mutex
	addrs map[swarm.InfoHash]map[netip.Addr]struct{} // distinct addresses a torrent did not dial
}

// refuse is the session's PeerFilter.
func (b *blocker) refuse(ih swarm.InfoHash, a netip.Addr) bool {
	if !b.list.Load().Contains(a) {
		return false
	}
	b.refused.Add(1)
	if ih != (swarm.InfoHash{}) {
		b.mu.Lock()
		if b.addrs == nil {
			b.addrs = make(map[swarm.InfoHash]map[netip.Addr]struct{})
		}
		m := b.addrs[ih]
		if m == nil {
			m = make(map[netip.Addr]struct{})
			b.addrs[ih] = m
		}
		if len(m) < maxBlockedPerTorrent {
			m[a] = struct{}{}
		}
		b.mu.Unlock()
	}
	return true
}

// blockedOf is how many distinct addresses ih did not dial.
func (b *blocker) blockedOf(ih swarm.InfoHash) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.addrs[ih])
}

func (b *blocker) forget(ih swarm.InfoHash) {
	b.mu.Lock()
	delete(b.addrs, ih)
	b.mu.Unlock()
}

// blockedTotal counts refused dials and accepts since the daemon started.
func (d *Daemon) blockedTotal() int64 { return d.block.refused.Load() }

// LoadBlocklist reads the IP blocklist at path and has the session refuse
// its addresses from now on: never dialled, closed at accept. Lines it
// cannot read are skipped and logged.
func (d *Daemon) LoadBlocklist(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blocklist: %w", err)
	}
	defer f.Close()
	l, err := blocklist.Parse(f)
	if err != nil {
		return fmt.Errorf("blocklist %s: %w", path, err)
	}
	if l.Bad > 0 {
		d.log.Warn("Blocklist lines skipped: neither a range nor a comment", "file", path, "lines", l.Bad,
			"first", l.FirstBad, "line", l.BadLine)
	}
	d.block.list.Store(l)
	d.s.SetPeerFilter(d.block.refuse)
	d.log.Info("Blocklist loaded", "file", path, "ranges", l.Len())
	return nil
}

// WatchBlocklist reloads the blocklist when its file changes (size or
// modification time), every interval (0: 10 s), until ctx ends. A file
// that fails to load keeps the list loaded before, and is logged.
func (d *Daemon) WatchBlocklist(ctx context.Context, path string, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	stamp := func() (time.Time, int64) {
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}, -1
		}
		return fi.ModTime(), fi.Size()
	}
	mt, size := stamp()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		nmt, nsize := stamp()
		if nmt.Equal(mt) && nsize == size {
			continue
		}
		mt, size = nmt, nsize
		if err := d.LoadBlocklist(path); err != nil {
			d.log.Warn("Blocklist changed but cannot be read; the one loaded before stays", "err", err)
		}
	}
}
