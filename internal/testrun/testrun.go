// Package testrun runs a test's servers in the background for as long as
// the test lasts. It imports nothing of shoal's, so any package's internal
// tests can use it without an import cycle.
package testrun

import (
	"context"
	"sync"
	"testing"
)

// Go calls run in a goroutine with a context that is cancelled when the
// test ends (or stop is called), and waits for run to return before the
// test's cleanup goes on, so nothing outlives the test. An error from run
// fails the test, named by what.
func Go(t testing.TB, what string, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := run(ctx); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	})
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return stop
}
