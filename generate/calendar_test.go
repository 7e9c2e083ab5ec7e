package generate

import (
	"math"
	"testing"
	"time"
)

// TestDemandMultiplier checks that the calendar factors of SPEC §6 combine; the calendar
// rules themselves are tested in package calendar.
func TestDemandMultiplier(t *testing.T) {
	tests := []struct {
		name string
		utc  string
		mult float64
	}{
		// Friday 14 March 2025; local time is UTC+1.
		{"weekday morning", "2025-03-14T08:00:00Z", 1},
		{"lunch rush starts at 12:00 local", "2025-03-14T11:00:00Z", 1.3},
		{"11:59 local is not rush", "2025-03-14T10:59:00Z", 1},
		{"lunch rush ends at 14:00 local", "2025-03-14T13:00:00Z", 1},
		{"dinner rush 20:30 local", "2025-03-14T19:30:00Z", 1.3},
		{"Saturday afternoon", "2025-03-15T15:00:00Z", 1.1},
		{"Saturday dinner", "2025-03-15T18:30:00Z", 1.3 * 1.1},
		{"Independence Day", "2025-03-20T09:00:00Z", 1.5},
		{"New Year 00:30 local is still 31 Dec in UTC", "2024-12-31T23:30:00Z", 1.5},
		{"Women's Day lunch on a Saturday", "2022-08-13T11:30:00Z", 1.3 * 1.1 * 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.utc)
			if err != nil {
				t.Fatal(err)
			}
			if got := DemandMultiplier(at); math.Abs(got-tt.mult) > 1e-9 {
				t.Errorf("DemandMultiplier = %v, want %v", got, tt.mult)
			}
		})
	}
}
