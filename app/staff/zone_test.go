package staff

import (
	"strings"
	"testing"
	"time"
)

// TestLockMessageInMunicipalityZone: a lock ending at 23:30 UTC ends at
// 08:30 in Tokyo, whatever the machine's zone.
func TestLockMessageInMunicipalityZone(t *testing.T) {
	defer SetMessageZone(nil)
	until := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	tests := []struct {
		zone *time.Location
		want string
	}{
		{nil, "08:30"},
		{tokyo, "08:30"},
		{time.UTC, "23:30"},
	}
	for _, tt := range tests {
		SetMessageZone(tt.zone)
		msg := (&LockedError{ID: "c1", Until: until}).UserMessage()
		if !strings.Contains(msg, tt.want+" まで") {
			t.Errorf("zone %v: %q lacks %s", tt.zone, msg, tt.want)
		}
	}
}
