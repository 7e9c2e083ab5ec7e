package calendar

import (
	"testing"
	"time"
)

func TestCalendar(t *testing.T) {
	tests := []struct {
		name                   string
		utc                    string
		rush, weekend, holiday bool
	}{
		// Friday 14 March 2025; local time is UTC+1.
		{"weekday morning", "2025-03-14T08:00:00Z", false, false, false},
		{"11:59 local is not rush", "2025-03-14T10:59:00Z", false, false, false},
		{"lunch rush starts at 12:00 local", "2025-03-14T11:00:00Z", true, false, false},
		{"13:59 local is still rush", "2025-03-14T12:59:00Z", true, false, false},
		{"lunch rush ends at 14:00 local", "2025-03-14T13:00:00Z", false, false, false},
		{"18:59 local is not rush", "2025-03-14T17:59:00Z", false, false, false},
		{"dinner rush starts at 19:00 local", "2025-03-14T18:00:00Z", true, false, false},
		{"dinner rush 20:30 local", "2025-03-14T19:30:00Z", true, false, false},
		{"dinner rush ends at 21:00 local", "2025-03-14T20:00:00Z", false, false, false},
		{"Friday 23:30 local", "2025-03-14T22:30:00Z", false, false, false},
		{"Saturday 00:30 local is still Friday in UTC", "2025-03-14T23:30:00Z", false, true, false},
		{"Saturday afternoon", "2025-03-15T15:00:00Z", false, true, false},
		{"Saturday dinner", "2025-03-15T18:30:00Z", true, true, false},
		{"Sunday", "2025-03-16T09:00:00Z", false, true, false},
		{"Monday 00:30 local is still Sunday in UTC", "2025-03-16T23:30:00Z", false, false, false},
		{"Independence Day", "2025-03-20T09:00:00Z", false, false, true},
		{"New Year 00:30 local is still 31 Dec in UTC", "2024-12-31T23:30:00Z", false, false, true},
		{"23:30 local on 31 Dec is not New Year", "2024-12-31T22:30:00Z", false, false, false},
		{"Women's Day lunch on a Saturday", "2022-08-13T11:30:00Z", true, true, true},
		{"Revolution Day", "2025-12-17T10:00:00Z", false, false, true},
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
		})
	}
}

func TestTunisIsUTCPlusOne(t *testing.T) {
	// No DST: a summer and a winter instant are both one hour ahead of UTC.
	for _, utc := range []string{"2025-01-15T12:00:00Z", "2025-07-15T12:00:00Z"} {
		at, _ := time.Parse(time.RFC3339, utc)
		if _, off := at.In(Tunis).Zone(); off != 3600 {
			t.Errorf("%s: offset %d s, want 3600", utc, off)
		}
	}
}
