package dht

import (
	"testing"

	"go.uber.org/goleak"
)

// Nodes own the library's server goroutines; Close and Run must end them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
