package config

import (
	"strings"
	"testing"
	"time"
)

func TestLocation(t *testing.T) {
	tests := []struct {
		zone    string
		wantOff int // seconds east of UTC on 2026-12-01
		bad     bool
	}{
		{"", 9 * 3600, false},
		{"Asia/Tokyo", 9 * 3600, false},
		{"UTC", 0, false},
		{"Mars/Olympus", 9 * 3600, true},
	}
	for _, tt := range tests {
		c := Default(t.TempDir())
		c.TimeZone = tt.zone
		_, off := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).In(c.Location()).Zone()
		if off != tt.wantOff {
			t.Errorf("zone %q: offset %d, want %d", tt.zone, off, tt.wantOff)
		}
		err := c.Validate()
		if (err != nil) != tt.bad || (tt.bad && !strings.Contains(err.Error(), "time_zone")) {
			t.Errorf("zone %q: Validate = %v, want error %v", tt.zone, err, tt.bad)
		}
	}
}

func TestLoadTimeZoneOfficePrinter(t *testing.T) {
	// Top-level keys go before the first table.
	p := write(t, "time_zone = \"Asia/Tokyo\"\noffice = \"本庁舎 区民課\"\n"+full+"\n[printing]\nprinter = \"counter-1\"\n")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.TimeZone != "Asia/Tokyo" || c.Office != "本庁舎 区民課" || c.Printing.Printer != "counter-1" {
		t.Fatalf("got %+v", c)
	}
	if got := c.OfficeName(); got != "千代田区\u3000本庁舎 区民課" {
		t.Fatalf("OfficeName = %q", got)
	}
}

func TestOfficeName(t *testing.T) {
	tests := []struct{ municipality, office, want string }{
		{"窓口市", "", "窓口市"},
		{"窓口市", "市民課", "窓口市\u3000市民課"},
		{"窓口市", "窓口市 市民課", "窓口市 市民課"},
		{"", "市民課", "市民課"},
	}
	for _, tt := range tests {
		c := Config{Municipality: tt.municipality, Office: tt.office}
		if got := c.OfficeName(); got != tt.want {
			t.Errorf("OfficeName(%q, %q) = %q, want %q", tt.municipality, tt.office, got, tt.want)
		}
	}
}
