package pieces

import (
	"testing"

	"go.uber.org/goleak"
)

// Hashing and checking run worker goroutines; none may outlive its call.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
