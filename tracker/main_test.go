package tracker

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine the tracker starts must be gone when Run returns; idle
// keep-alive connections of the tests' own HTTP clients may linger.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
