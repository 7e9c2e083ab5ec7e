package generate

import (
	"time"

	"github.com/flavortrend/flavortrend/internal/calendar"
)

// Demand multipliers of SPEC §6, applied to the base rate and multiplied together. The
// calendar rules themselves (local time, rush hours, weekends, holidays) live in package
// calendar, shared with the enrichers.
const (
	rushMultiplier    = 1.3 // 12:00–14:00 and 19:00–21:00 local
	weekendMultiplier = 1.1 // Saturday and Sunday
	holidayMultiplier = 1.5 // public holidays of package calendar
)

// DemandMultiplier is the calendar factor on the base order rate at t:
// 1.3 in rush hours × 1.1 on weekends × 1.5 on holidays (each only when it applies).
func DemandMultiplier(t time.Time) float64 {
	m := 1.0
	if calendar.IsRushHour(t) {
		m *= rushMultiplier
	}
	if calendar.IsWeekend(t) {
		m *= weekendMultiplier
	}
	if calendar.IsHoliday(t) {
		m *= holidayMultiplier
	}
	return m
}
