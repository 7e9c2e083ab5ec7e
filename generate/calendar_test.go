package generate

import (
	"math"
	"testing"
	"time"
)

func TestCalendar(t *testing.T) {
	tests := []struct {
		name                   string
		utc                    string
		rush, weekend, holiday bool
		mult                   float64
	}{
		// Friday 14 March 2025; local time is UTC+1.
		{"weekday morning", "2025-03-14T08:00:00Z", false, false, false, 1},
		{"lunch rush starts at 12:00 local", "2025-03-14T11:00:00Z", true, false, false, 1.3},
		{"11:59 local is not rush", "2025-03-14T10:59:00Z", false, false, false, 1},
		{"lunch rush ends at 14:00 local", "2025-03-14T13:00:00Z", false, false, false, 1},
		{"dinner rush 20:30 local", "2025-03-14T19:30:00Z", true, false, false, 1.3},
		{"Saturday afternoon", "2025-03-15T15:00:00Z", false, true, false, 1.1},
		{"Saturday dinner", "2025-03-15T18:30:00Z", true, true, false, 1.3 * 1.1},
		{"Independence Day", "2025-03-20T09:00:00Z", false, false, true, 1.5},
		{"New Year 00:30 local is still 31 Dec in UTC", "2024-12-31T23:30:00Z", false, false, true, 1.5},
		{"Women's Day lunch on a Saturday", "2022-08-13T11:30:00Z", true, true, true, 1.3 * 1.1 * 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.utc)
			if err != nil {
				t.Fatal(err)
			}
			if got := IsRushHour(at); got != tt.rush {
				t.Errorf("IsRushHour = %v", got)
			}
			if got := IsWeekend(at); got != tt.weekend {
				t.Errorf("IsWeekend = %v", got)
			}
			if got := IsHoliday(at); got != tt.holiday {
				t.Errorf("IsHoliday = %v", got)
			}
			if got := DemandMultiplier(at); math.Abs(got-tt.mult) > 1e-9 {
				t.Errorf("DemandMultiplier = %v, want %v", got, tt.mult)
			}
		})
	}
}
