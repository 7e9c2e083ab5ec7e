// Package recommend turns a city's pressure into the surge recommendation of SPEC §4.10:
// at pressure ≥ 75 a surge of ×1.5 (×2.0 from 85) for 15 minutes, with a rationale. The
// API offers it to an operator; approving it records an operator action and creates the
// surge flag the simulator obeys (which brings off-shift couriers online), so the factor
// here is the flag's factor.
//
// Surge is a pure function of the city's state at the end of a pressure minute and of
// the last recommendation made for the city, which the runtime keeps (a Recommendation
// marshals to JSON as it is).
package recommend

import (
	"fmt"
	"time"

	"github.com/flavortrend/flavortrend/enrich/pressure"
)

// The recommendation of SPEC §4.10.
const (
	KindSurge      = "surge"
	Factor         = 1.5 // at pressure ≥ 75
	CriticalFactor = 2.0 // at pressure ≥ 85
	Duration       = 15 * time.Minute
)

// Rationale says why a city needs more couriers.
type Rationale string

// The rationales of SPEC §4.10; RationaleOf picks one.
const (
	LowSupply          Rationale = "low_supply"
	HighDemand         Rationale = "high_demand"
	OverloadedCouriers Rationale = "overloaded_couriers"
)

// Input is a city's state at the end of one pressure minute.
type Input struct {
	CityID int32
	// At is the event time of the pressure value: the end of its minute.
	At       time.Time
	Pressure pressure.Pressure
	// RosterCouriers counts all the city's couriers, offline ones included.
	RosterCouriers int
	// OnlineCouriers counts the couriers whose status is not offline.
	OnlineCouriers int
	// OverloadedCouriers counts the couriers with ≥ 5 active deliveries (SPEC §4.5).
	OverloadedCouriers int
}

// Recommendation is one surge recommendation, as the API lists it.
type Recommendation struct {
	ID              string    `json:"id"`
	CityID          int32     `json:"city_id"`
	Kind            string    `json:"kind"` // always "surge"
	Factor          float64   `json:"factor"`
	DurationMinutes int       `json:"duration_minutes"`
	Rationale       Rationale `json:"rationale"`
	Details         string    `json:"details"` // the numbers behind the rationale
	Pressure        float64   `json:"pressure"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at"` // created_at + 15 min
}

// Surge returns the recommendation for the city's state, and false when there is none
// to make: pressure below 75, or a recommendation for the city (last, nil if none) still
// running at in.At with a factor at least as high. So a city stays at one recommendation
// per 15 minutes while its pressure holds, and gets a new one at once when its pressure
// escalates from the ×1.5 band to the ×2.0 band.
//
// The id is "surge-<city id>-<created_at, UTC, to the microsecond>", so a replay of the
// same pressure minutes yields the same ids.
func Surge(in Input, last *Recommendation) (Recommendation, bool) {
	p := in.Pressure.Pressure
	var factor float64
	switch {
	case p >= pressure.CriticalAt:
		factor = CriticalFactor
	case p >= pressure.WarningAt:
		factor = Factor
	default:
		return Recommendation{}, false
	}
	at := in.At.UTC()
	if last != nil && at.Before(last.ExpiresAt) && factor <= last.Factor {
		return Recommendation{}, false
	}
	return Recommendation{
		ID:              fmt.Sprintf("%s-%d-%s", KindSurge, in.CityID, at.Format("20060102T150405.000000Z")),
		CityID:          in.CityID,
		Kind:            KindSurge,
		Factor:          factor,
		DurationMinutes: int(Duration.Minutes()),
		Rationale:       RationaleOf(in),
		Details:         details(in),
		Pressure:        p,
		CreatedAt:       at,
		ExpiresAt:       at.Add(Duration),
	}, true
}

// RationaleOf picks the rationale from the pressure inputs, in this order:
//
//  1. low_supply when more than half of the city's roster is offline
//     (2 × online < roster): the shortage comes from couriers not working, and more
//     couriers on shift is the direct fix;
//  2. overloaded_couriers when more couriers carry ≥ 5 active deliveries than are
//     available (overloaded > available): the couriers are working but orders pile onto
//     a few of them;
//  3. high_demand otherwise: most couriers are working and not overloaded, so the open
//     orders simply outnumber them.
//
// Supply is judged on who is online, not on available_couriers, because a courier who is
// unavailable for carrying 3 or more orders is a sign of demand, not of missing supply.
// The cut-offs compare counts of the same city with each other (a majority of the
// roster; more overloaded than free), so they need no tuning per city size.
func RationaleOf(in Input) Rationale {
	switch {
	case 2*in.OnlineCouriers < in.RosterCouriers:
		return LowSupply
	case in.OverloadedCouriers > in.Pressure.AvailableCouriers:
		return OverloadedCouriers
	default:
		return HighDemand
	}
}

func details(in Input) string {
	p := in.Pressure
	return fmt.Sprintf("Pressure %.1f: %d open orders for %d available couriers (%.1f per courier), "+
		"%d of %d couriers online, %d overloaded (≥ %d active deliveries).",
		p.Pressure, p.OpenOrders, p.AvailableCouriers, p.DemandPerCourier,
		in.OnlineCouriers, in.RosterCouriers, in.OverloadedCouriers, pressure.OverloadedAt)
}
