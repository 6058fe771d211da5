package config

import (
	"strings"
	"time"

	// The zone database is embedded so that the municipality's zone is
	// found on machines without zoneinfo (Windows, minimal images).
	_ "time/tzdata"
)

// DefaultTimeZone is the zone used when time_zone is not set.
const DefaultTimeZone = "Asia/Tokyo"

// Printing selects where printouts go.
type Printing struct {
	// Printer is the CUPS queue (Linux) or printer name; "" means the
	// system's default printer.
	Printer string `toml:"printer"`
}

// LoadLocation returns the zone called name, or DefaultTimeZone's for "".
// Unlike time.LoadLocation it never returns UTC or the machine's zone for
// an empty name.
func LoadLocation(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultTimeZone
	}
	return time.LoadLocation(name)
}

// Location is the municipality's time zone. A name that Validate would
// refuse falls back to DefaultTimeZone.
func (c Config) Location() *time.Location {
	loc, err := LoadLocation(c.TimeZone)
	if err != nil {
		loc, _ = LoadLocation("") // embedded tzdata: cannot fail
	}
	return loc
}

// OfficeName names the counter on printouts: the municipality followed by
// the office, without repeating a part the office already contains
// ("千代田区 本庁舎" rather than "千代田区 千代田区 本庁舎").
func (c Config) OfficeName() string {
	m, o := strings.TrimSpace(c.Municipality), strings.TrimSpace(c.Office)
	switch {
	case o == "":
		return m
	case m == "" || strings.HasPrefix(o, m):
		return o
	}
	return m + "\u3000" + o
}
