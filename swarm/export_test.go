package swarm

import "time"

// SetCorruptUploads makes s flip the bits of every block it uploads: a
// lying seed for ban tests.
func SetCorruptUploads(s *Session) { s.hooks.corruptUploads = true }

// PiecesChecked is how many pieces of torrent ih were hashed by checks of
// existing data (not downloads) since it was added.
func PiecesChecked(s *Session, ih InfoHash) int64 {
	t, err := s.torrent(ih)
	if err != nil {
		return -1
	}
	if c := t.data.Load(); c != nil {
		return c.checked.Load()
	}
	return 0
}

// SetWriteErr makes block writes fail while f returns an error.
func SetWriteErr(s *Session, f func() error) { s.hooks.writeErr = f }

// SetStampCheckEvery shortens how often seeds look for changed files.
func SetStampCheckEvery(d time.Duration) { stampCheckEvery = d }

// SetCheckHook calls f after each progress count of a data check has
// reached the torrent's goroutine; f may block to hold the check there.
func SetCheckHook(s *Session, f func(done, total int)) { s.hooks.checkProgress = f }

// SetNoDial stops s from dialing peers: it only accepts, like a client that
// ignores the peers trackers give it.
func SetNoDial(s *Session) { s.hooks.noDial = true }

// SetMinAnnounceInterval shortens the least time between announces.
func SetMinAnnounceInterval(d time.Duration) { minInterval = d }

// TorrentSnapshotsCopied counts the torrent snapshots s has copied into
// session snapshots so far.
func TorrentSnapshotsCopied(s *Session) int64 { return s.copied.Load() }

// TorrentTicks counts the sample ticks torrent ih's goroutine handled and
// the snapshots it built.
func TorrentTicks(s *Session, ih InfoHash) (ticks, builds int64) {
	t, err := s.torrent(ih)
	if err != nil {
		return -1, -1
	}
	return t.pub.ticks.Load(), t.pub.builds.Load()
}

// Drowsy says whether torrent ih's timers run at the quiet pace.
func Drowsy(s *Session, ih InfoHash) bool {
	t, err := s.torrent(ih)
	return err == nil && t.pub.drowsy.Load()
}

// SetWebTimeouts sets how long a web seed's read may stall and its first
// backoff (0 keeps the default).
func SetWebTimeouts(s *Session, idle, retry time.Duration) {
	s.hooks.webIdle, s.hooks.webRetry = idle, retry
}

// SetResumeHook calls f before each resume record s writes; f may block
// to hold the save there.
func SetResumeHook(s *Session, f func()) { s.hooks.resumeSave = f }

// Blake3BytesRead is how many bytes torrent ih's BLAKE3 checks read from
// disk since it was added.
func Blake3BytesRead(s *Session, ih InfoHash) int64 {
	t, err := s.torrent(ih)
	if err != nil {
		return -1
	}
	if c := t.data.Load(); c != nil {
		return c.blake3Read.Load()
	}
	return 0
}

// SetUploadHook calls f with each run of bytes a session reads to upload:
// its first piece, the offset in it, and its length (it may run into the
// next pieces).
func SetUploadHook(s *Session, f func(piece, begin, n int)) { s.hooks.uploaded = f }

// SetSuperPatience sets how long a super-seed's offer waits (superseed.go).
func SetSuperPatience(d time.Duration) { superPatience = d }

// DiskShards is how many disk goroutines a torrent's blocks are spread
// over, by piece: blocks of pieces in one shard are noted in the order
// they were read.
const DiskShards = diskShards
