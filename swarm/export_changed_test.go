package swarm

import (
	"context"
	"time"
)

// SetDigestHook runs f before each file of a restarted seed's BLAKE3 pass
// (nil removes it).
func SetDigestHook(f func(ctx context.Context, file int)) { digestHook = f }

// SetRecheckRetry shortens the wait before re-hashing a file that changed
// while it was hashed.
func SetRecheckRetry(d time.Duration) { recheckRetry = d }
