package staff

import (
	"sync/atomic"
	"time"
)

// messageZone is the zone of the times in Japanese messages (the end of a
// lock-out); nil means Japan Standard Time.
var messageZone atomic.Pointer[time.Location]

// SetMessageZone sets the municipality's time zone for the times in the
// Japanese messages of this package. The counter sets it from its
// configuration when it opens; until then messages use JST.
func SetMessageZone(loc *time.Location) { messageZone.Store(loc) }

// messageLocation is the zone set by SetMessageZone, or JST.
func messageLocation() *time.Location {
	if loc := messageZone.Load(); loc != nil {
		return loc
	}
	return time.FixedZone("JST", 9*3600)
}
