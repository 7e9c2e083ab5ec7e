package pressure

import "math"

// Thresholds of SPEC §4.7, applied to the published (rounded) pressure: "≥ 75 = warning
// (driver shortage), ≥ 85 = critical".
const (
	WarningAt  = 75.0
	CriticalAt = 85.0
)

// Level is the band a pressure value falls in.
type Level string

// The levels of SPEC §4.7.
const (
	Normal   Level = "normal"   // below 75
	Warning  Level = "warning"  // 75 to below 85: driver shortage
	Critical Level = "critical" // 85 and above
)

// Pressure is one city's pressure for one minute, as published on the city.pressure
// topic (the runtime adds the city id and the minute).
type Pressure struct {
	OpenOrders        int     `json:"open_orders"`
	AvailableCouriers int     `json:"available_couriers"`
	DemandPerCourier  float64 `json:"demand_per_courier"`
	DelayExcess       float64 `json:"delay_excess"`
	Pressure          float64 `json:"pressure"` // 0–100, one decimal
	Level             Level   `json:"level"`
}

// Compute is SPEC §4.7 for one city and one minute:
//
//	demand_per_courier = open_orders / max(available_couriers, 0.5)
//	delay_excess       = clamp((avg delivery minutes over last 15 min − 30) / 30, 0, 1)
//	pressure           = round(100 × clamp(0.7 × (1 − exp(−demand_per_courier / 2.5))
//	                                       + 0.3 × delay_excess, 0, 1), 1)
//
// openOrders counts the city's placed, accepted and picked-up orders; availableCouriers
// its couriers that are not offline and carry fewer than 3 active deliveries
// (CourierAvailable). avgDeliveryMinutesLast15 is the mean of delivered_at − placed_at
// over the orders delivered in the 15 minutes before the minute's end.
//
// When the city had no delivery in those 15 minutes (haveDeliveries false) there is no
// average to compare with 30 minutes, and delay_excess is 0: the score then measures
// demand against supply only. The consequence, which the formula makes unavoidable, is
// that the demand term alone tops out at 70 (0.7 × 100), so a city reaches the 75
// warning only when its recent deliveries also average more than 35 minutes; a city
// that has delivered nothing for 15 minutes stays at or below 70 whatever its backlog.
//
// Negative counts (which a consistent caller never passes) are treated as 0, and an
// average that is not a number as no delay. The level is taken from the rounded value,
// so a published 75.0 is always a warning.
func Compute(openOrders, availableCouriers int, avgDeliveryMinutesLast15 float64, haveDeliveries bool) Pressure {
	open, avail := max(openOrders, 0), max(availableCouriers, 0)
	demand := DemandPerCourier(float64(open), float64(avail))
	var excess float64
	if haveDeliveries {
		excess = DelayExcess(avgDeliveryMinutesLast15)
	}
	score := Score(demand, excess)
	return Pressure{
		OpenOrders:        open,
		AvailableCouriers: avail,
		DemandPerCourier:  demand,
		DelayExcess:       excess,
		Pressure:          score,
		Level:             LevelOf(score),
	}
}

// DemandPerCourier is open_orders / max(available_couriers, 0.5) (SPEC §4.7). The 0.5
// floor makes a city with open orders and no available courier count as having half a
// courier: its demand is twice its open orders, so pressure climbs instead of dividing
// by zero. Fractional arguments are allowed for estimates (enrich/scenario).
func DemandPerCourier(openOrders, availableCouriers float64) float64 {
	return math.Max(openOrders, 0) / math.Max(availableCouriers, 0.5)
}

// DelayExcess is clamp((avgDeliveryMinutes − 30) / 30, 0, 1) (SPEC §4.7): 0 up to a
// 30-minute average, 1 from 60 minutes on, linear between.
func DelayExcess(avgDeliveryMinutes float64) float64 {
	return clamp((avgDeliveryMinutes-30)/30, 0, 1)
}

// Score is round(100 × clamp(0.7 × (1 − exp(−demandPerCourier / 2.5)) + 0.3 ×
// delayExcess, 0, 1), 1) (SPEC §4.7). The demand term saturates: 1.7 open orders per
// available courier give half of its 70 points, 2.5 give 63 %, 7.5 give 95 %.
// Rounding is half away from zero, to one decimal.
func Score(demandPerCourier, delayExcess float64) float64 {
	raw := 0.7*(1-math.Exp(-demandPerCourier/2.5)) + 0.3*delayExcess
	return math.Round(100*clamp(raw, 0, 1)*10) / 10
}

// LevelOf is the SPEC §4.7 band of a pressure value: critical from 85, warning from 75,
// normal below.
func LevelOf(pressure float64) Level {
	switch {
	case pressure >= CriticalAt:
		return Critical
	case pressure >= WarningAt:
		return Warning
	default:
		return Normal
	}
}

// clamp limits x to [lo, hi]; NaN becomes lo.
func clamp(x, lo, hi float64) float64 {
	if !(x > lo) {
		return lo
	}
	return math.Min(x, hi)
}
