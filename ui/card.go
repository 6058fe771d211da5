package ui

import (
	"time"

	"madoguchi/app"
)

// zone is the municipality's time zone (config time_zone, default
// Asia/Tokyo) in which every screen shows its times.
func (s *Shell) zone() *time.Location { return s.counter.Config().Location() }

// checkPIN is the resident PIN policy the PIN screen applies.
var checkPIN PINPolicy = app.CheckPINPolicy
