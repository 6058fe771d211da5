package ui

import (
	"time"

	"madoguchi/app"
)

// jst is the time zone of the counter's dates.
var jst = time.FixedZone("JST", 9*60*60)

// checkPIN is the resident PIN policy the PIN screen applies.
var checkPIN PINPolicy = app.CheckPINPolicy
