package swarm

import (
	"context"

	"github.com/shoal-bt/shoal/pieces"
)

// The torrent as its peers' reader and writer goroutines see it
// (peerHost). These methods run on those goroutines: they read only the
// content (set once, verified bits atomic), the session's limits and the
// torrent's counters, and reach the torrent's goroutine over channels.

func (t *torrent) deliver(ctx context.Context, ev peerEvent) bool {
	select {
	case t.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (t *torrent) wanted(piece int) bool {
	c := t.data.Load()
	return c != nil && !c.has(piece)
}

func (t *torrent) store(ctx context.Context, d diskBlock) bool {
	return t.data.Load().store(ctx, d)
}

func (t *torrent) servable(b pieces.Block) bool {
	c := t.data.Load()
	return c != nil && c.servable(b)
}

func (t *torrent) readForUpload(ctx context.Context, p *peer, buf []byte, first pieces.Block) (bool, error) {
	c := t.data.Load()
	if c == nil {
		return false, nil
	}
	ok, changed, err := c.readVerified(buf, first)
	if h := t.s.hooks.uploaded; h != nil && ok {
		h(first.Piece, first.Begin, len(buf))
	}
	switch {
	case err != nil:
		t.log.Warn("Read for upload failed", "piece", first.Piece, "err", err)
	case changed >= 0:
		// The peer did nothing wrong: refuse the blocks, keep it.
		t.reportChanged(ctx, p, c, changed)
	}
	return ok, err
}

func (t *torrent) waitDown(ctx context.Context, n int) error {
	if err := t.waitOwn(ctx, n, false); err != nil {
		return err
	}
	if lim := t.s.downLimit; lim != nil {
		return lim.WaitN(ctx, n)
	}
	return nil
}

func (t *torrent) waitUp(ctx context.Context, n int) error {
	if err := t.waitOwn(ctx, n, true); err != nil {
		return err
	}
	if lim := t.s.upLimit; lim != nil {
		return lim.WaitN(ctx, n)
	}
	return nil
}

func (t *torrent) count(down, up, wasted int) {
	if down != 0 {
		t.xfer.down.Add(int64(down))
	}
	if up != 0 {
		t.xfer.up.Add(int64(up))
	}
	if wasted != 0 {
		t.xfer.wasted.Add(int64(wasted))
	}
}

// reportChanged tells the torrent's goroutine that a read for upload found
// file f changed, so that it withdraws the file now, not at its next stat.
func (t *torrent) reportChanged(ctx context.Context, p *peer, c *content, f int) {
	if c.storage.Changed(f) {
		return // already withdrawn, or about to be
	}
	select {
	case t.cmds <- func() { t.fileChanged(c, f, "noticed while serving it") }:
	case <-ctx.Done():
	case <-p.closed:
	}
}
