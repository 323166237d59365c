//go:build race

package swarm

// raceEnabled: sync.Pool drops a random share of what it is given under
// the race detector, so counts of allocations mean nothing there.
const raceEnabled = true
