package tui

import (
	"context"

	"github.com/shoal-bt/shoal/swarm"
)

// Engine is what the UI needs from a BitTorrent session. cmd/ adapts
// *swarm.Session to it; tests use a fake.
type Engine interface {
	// Snapshot returns the last published state, or nil before the first.
	// It must not block: the UI calls it on every refresh.
	Snapshot() *swarm.Snapshot
	// Events delivers discrete happenings; nil means none. The UI stops
	// reading when it is closed.
	Events() <-chan swarm.Event
	// AddSource adds a magnet URI or a .torrent path typed by the user.
	AddSource(ctx context.Context, source string) error
	Pause(ih swarm.InfoHash) error
	Resume(ih swarm.InfoHash) error
	// Remove forgets a torrent; its data stays on disk unless deleteData.
	Remove(ih swarm.InfoHash, deleteData bool) error
	SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error
}
