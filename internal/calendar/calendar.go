// Package calendar holds Flavor Trend's local-time rules, shared by the simulator (demand
// multipliers, SPEC §6) and the enrichers (order features, SPEC §4.2): the Africa/Tunis
// zone, the meal rush hours, weekends and public holidays. Every function takes the
// instant to classify; nothing here reads the clock.
package calendar

import "time"

// Tunis is Africa/Tunis local time: UTC+1 all year (Tunisia has no daylight saving time
// since 2009), as a fixed zone so that no tzdata is needed.
var Tunis = time.FixedZone("CET", 3600)

// IsRushHour reports whether t falls in a meal rush, 12:00–14:00 or 19:00–21:00 local
// (SPEC §4.2 "is_rush_hour (12:00–14:00 and 19:00–21:00 local)"): the start hour is in,
// the end hour is out, so 13:59 is rush and 14:00 is not.
func IsRushHour(t time.Time) bool {
	h := t.In(Tunis).Hour()
	return (h >= 12 && h < 14) || (h >= 19 && h < 21)
}

// IsWeekend reports whether t is a Saturday or Sunday in local time.
func IsWeekend(t time.Time) bool {
	d := t.In(Tunis).Weekday()
	return d == time.Saturday || d == time.Sunday
}

// holidays are Tunisia's public holidays on fixed civil dates (month, day). Religious
// holidays, which follow the lunar calendar, are left out.
var holidays = [][2]int{
	{1, 1},   // New Year's Day
	{3, 20},  // Independence Day
	{4, 9},   // Martyrs' Day
	{5, 1},   // Labour Day
	{7, 25},  // Republic Day
	{8, 13},  // Women's Day
	{10, 15}, // Evacuation Day
	{12, 17}, // Revolution Day
}

// IsHoliday reports whether t's local date is a public holiday.
func IsHoliday(t time.Time) bool {
	l := t.In(Tunis)
	for _, h := range holidays {
		if int(l.Month()) == h[0] && l.Day() == h[1] {
			return true
		}
	}
	return false
}
