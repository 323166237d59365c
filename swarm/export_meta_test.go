package swarm

import "time"

// SetMetaStall shortens how long a metadata fetch waits before another
// size claim gets its turn, for the duration of a test.
func SetMetaStall(d time.Duration) (restore func()) {
	old := metaStall
	metaStall = d
	return func() { metaStall = old }
}
