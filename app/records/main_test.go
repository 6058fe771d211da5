package records

import (
	"os"
	"testing"
	"time"
)

// TestMain runs the tests as on a machine in UTC, set before any goroutine
// reads the zone: the municipality's JST must not depend on the machine's.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}
