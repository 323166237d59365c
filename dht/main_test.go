package dht

import (
	"testing"

	"go.uber.org/goleak"
)

// Nodes own the library's server goroutines; Close and Run must end them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// A bootstrap traversal cut short by Close leaves its in-flight
		// queries to end on their own, within the query timeout; the
		// library offers no way to wait for them.
		goleak.IgnoreAnyFunction("github.com/anacrolix/dht/v2/traversal.(*Operation).startQuery.func1"),
		goleak.IgnoreAnyFunction("github.com/anacrolix/dht/v2/traversal.(*Operation).Stop.func1"),
		goleak.IgnoreAnyFunction("github.com/anacrolix/dht/v2.(*Server).transactionQuerySender"),
	)
}
