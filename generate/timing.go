package generate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/flavortrend/flavortrend/internal/calendar"
)

// Timing model of an order (SPEC §5, §6). Delivery time = acceptance + preparation (or
// the courier's ride to the restaurant, whichever is later) + travel to the drop-off, and
// every term depends on the features the ETA model sees: distance, preparation profile,
// weather, rush hour, vehicle, courier load and city pressure, plus noise.

// AcceptDelay is the time the restaurant takes to accept: uniform 1–3 min.
func AcceptDelay(rng *rand.Rand) time.Duration {
	return minutes(1 + 2*rng.Float64())
}

// PrepMinutes is how long the kitchen takes once it has accepted:
//
//	avg_prep × (1 + 0.05 · (lines − 1)) × (1.15 in rush hour) × (1 + 0.05 · other orders
//	in preparation) × LogNormal(0, 0.2), at least 2 min
//
// so bigger orders, rush hours and a busy kitchen are slower, with ±20 % noise.
func PrepMinutes(rng *rand.Rand, avgPrep float64, lines int, rush bool, kitchenLoad int) float64 {
	m := avgPrep * (1 + 0.05*float64(lines-1))
	if rush {
		m *= 1.15
	}
	m *= 1 + 0.05*float64(kitchenLoad)
	m *= math.Exp(0.2 * rng.NormFloat64())
	return math.Max(2, m)
}

// vehicleSpeedKmh is each vehicle's typical average speed in city streets.
var vehicleSpeedKmh = map[string]float64{
	"bicycle":    14,
	"scooter":    24,
	"motorcycle": 30,
	"car":        26,
}

// weatherSpeed is the speed factor of each weather condition: rain ×0.75, a storm ×0.6,
// a sandstorm ×0.65, fog ×0.85, wind ×0.92, heat ×0.95, fair weather ×1.
var weatherSpeed = [conditionCount]float64{
	Sunny: 1, Cloudy: 1, Rainy: 0.75, Stormy: 0.6, Windy: 0.92, Fog: 0.85, Hot: 0.95, Sandstorm: 0.65,
}

// TrafficFactor is the speed factor of the time of day: ×0.8 in rush hours (12–14 h,
// 19–21 h local), ×1.15 at night (22–06 h local, empty streets), ×1 otherwise.
func TrafficFactor(t time.Time) float64 {
	if calendar.IsRushHour(t) {
		return 0.8
	}
	if h := t.In(calendar.Tunis).Hour(); h >= 22 || h < 6 {
		return 1.15
	}
	return 1
}

// Ride is what moves an order: the courier's vehicle and personal factors.
type Ride struct {
	Vehicle     string
	Condition   int     // vehicle_condition 1..5
	SpeedFactor float64 // couriers.speed_factor
}

// SpeedKmh is the courier's average speed in the conditions at t:
//
//	vehicle speed × (0.8 + 0.05 · vehicle_condition) × speed_factor × weather × traffic
//
// vehicle condition 1 gives ×0.85, 5 gives ×1.05.
func (r Ride) SpeedKmh(c Condition, t time.Time) float64 {
	return vehicleSpeedKmh[r.Vehicle] * (0.8 + 0.05*float64(r.Condition)) * r.SpeedFactor *
		weatherSpeed[c] * TrafficFactor(t)
}

// roadFactor converts a great-circle distance to a street distance (streets are not
// straight: ~1.35 in Tunisian town centres).
const roadFactor = 1.35

// Travel timing constants.
const (
	handoverMinutes   = 2.0 // parking, stairs and handing the bag over at the drop-off
	stackedMinutes    = 1.0 // detour per other order the courier is carrying
	pressureMaxMinute = 3.0 // extra minutes when the city is saturated
)

// TravelMinutes is the ride from the restaurant to the drop-off:
//
//	distance_km × 1.35 / speed × 60 + 2 (handover) + 1 × other orders on board
//	+ 3 × (1 − exp(−demand per courier / 10))  (city pressure: busy streets and rushed
//	  handovers; 1.2 min at 5 open orders per available courier, 2.6 min at 20)
//
// times LogNormal(0, 0.15) noise, at least 1 min.
func TravelMinutes(rng *rand.Rand, distanceKm float64, r Ride, c Condition, t time.Time, stacked int, demandPerCourier float64) float64 {
	m := distanceKm*roadFactor/r.SpeedKmh(c, t)*60 + handoverMinutes + stackedMinutes*float64(stacked) +
		pressureMaxMinute*(1-math.Exp(-demandPerCourier/10))
	return math.Max(1, m*math.Exp(0.15*rng.NormFloat64()))
}

// ApproachMinutes is the courier's ride from where they are to the restaurant, with the
// same speed model and 1 min per other order on board, without noise or handover.
func ApproachMinutes(distanceKm float64, r Ride, c Condition, t time.Time, stacked int) float64 {
	return distanceKm*roadFactor/r.SpeedKmh(c, t)*60 + stackedMinutes*float64(stacked)
}

// PromisedMinutes is the delivery time promised at placement, from what the app knows then:
//
//	ceil5(2 (acceptance) + avg_prep + distance_km × 1.35 / 20 km/h × 60 + 8 (buffer)
//	      + 5 in rush hour), at least 20
//
// (20 km/h is the app's assumed average courier speed; ceil5 rounds up to 5 minutes).
func PromisedMinutes(avgPrep, distanceKm float64, rush bool) int {
	m := 2 + avgPrep + distanceKm*roadFactor/20*60 + 8
	if rush {
		m += 5
	}
	return max(20, int(math.Ceil(m/5))*5)
}

// minutes converts fractional minutes to a duration rounded to the microsecond, the
// resolution of timestamptz, so that what is written is what the simulator keeps.
func minutes(m float64) time.Duration {
	return time.Duration(math.Round(m*60e6)) * time.Microsecond
}
