package eta

import (
	"math"
	"math/rand/v2"
	"time"
)

// Synthetic delivered orders shaped like the simulator's timing model (generate/timing.go,
// lifecycle.go, dispatch.go), with the SPEC §4.2 features a model sees at placement and
// hidden causes it does not see (kitchen load, vehicle condition, the courier's approach,
// noise):
//
//	minutes = acceptance U(1, 3)
//	        + max(prep, dispatch + wait for a courier + approach)
//	        + travel
//	prep    = avg_prep × (1 + 0.05 (lines − 1)) × 1.15 in rush × (1 + 0.05 load) × LN(0, 0.2)
//	travel  = (distance × 1.35 / speed × 60 + 2 + stacked + 3 (1 − e^(−dpc/10))) × LN(0, 0.15)
//	speed   = vehicle km/h × condition factor × speed_factor × weather × traffic
//
// where dpc is the city's demand per courier, of which the model sees the pressure.

var synthVehicles = []struct {
	name  string
	kmh   float64
	share float64
}{
	{"bicycle", 14, 0.3}, {"scooter", 24, 0.35}, {"motorcycle", 30, 0.2}, {"car", 26, 0.15},
}

var synthWeather = []struct {
	name   string
	speed  float64
	tempC  float64 // shift
	precip float64 // mean mm
}{
	{"sunny", 1, 1, 0}, {"cloudy", 1, -1, 0}, {"rainy", 0.75, -3, 3}, {"stormy", 0.6, -4, 15},
	{"windy", 0.92, -1, 0}, {"fog", 0.85, -3, 0}, {"hot", 0.95, 7, 0}, {"sandstorm", 0.65, 4, 0},
}

// synthCity is a city's character: how far its customers live, how busy it gets, how wet.
type synthCity struct {
	share, distKm, dpc, rain float64
}

var synthCities = []synthCity{
	{0.35, 3.0, 2.5, 0.15}, {0.2, 2.2, 1.5, 0.10}, {0.15, 4.0, 3.5, 0.05},
	{0.12, 2.6, 1.0, 0.20}, {0.1, 3.4, 2.0, 0.02}, {0.08, 1.8, 4.5, 0.08},
}

// synthNames is the synthetic feature vector's layout, that of enrich/features (which
// this package does not import): courier features are 0 when no courier was known at
// placement, vehicle and weather condition one-hot.
func synthNames() []string {
	names := []string{DistanceFeature, "hour_of_day", "day_of_week", "is_weekend", "is_rush_hour",
		"is_holiday", "items_count", PrepFeature, "has_courier", SpeedFactorFeature, "courier_active_deliveries"}
	for _, v := range synthVehicles {
		names = append(names, "courier_vehicle_"+v.name)
	}
	names = append(names, "temperature_c", "precipitation_mm", "is_rain")
	for _, w := range synthWeather {
		names = append(names, "weather_condition_"+w.name)
	}
	return append(names, PressureFeature)
}

// synthCourierKnown is the share of orders whose courier is known at placement.
const synthCourierKnown = 0.7

// synthesize draws n delivered orders over four weeks from a seeded generator, and the
// state that decided each one's delivery time.
func synthesize(seed uint64, n int) ([]Example, []synthOrder) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, Tunis)
	weights := func(list []float64) int { return pick(rng, list) }
	cityShares := make([]float64, len(synthCities))
	for i, c := range synthCities {
		cityShares[i] = c.share
	}
	lognormal := func(sigma float64) float64 { return math.Exp(sigma * rng.NormFloat64()) }

	examples := make([]Example, 0, n)
	orders := make([]synthOrder, 0, n)
	for len(examples) < n {
		// Placement: four weeks, more orders at meal times (rejection sampling).
		at := start.Add(time.Duration(rng.Int64N(int64(28 * 24 * time.Hour))))
		local := at.In(Tunis)
		hour := local.Hour()
		rush := hour == 12 || hour == 13 || hour == 19 || hour == 20
		night := hour >= 22 || hour < 6
		demand := 1.0
		switch {
		case rush:
			demand = 3
		case night:
			demand = 0.3
		}
		if rng.Float64()*3 > demand {
			continue
		}
		cityID := weights(cityShares)
		city := synthCities[cityID]
		weekend := local.Weekday() == time.Saturday || local.Weekday() == time.Sunday
		holiday := local.Month() == time.March && local.Day() == 20

		distance := math.Min(12, math.Max(0.2, city.distKm*lognormal(0.5)))
		avgPrep := 8 + 17*rng.Float64()
		lines := 1 + weights([]float64{0.35, 0.35, 0.2, 0.1})
		items := lines + weights([]float64{0.6, 0.3, 0.1})
		weather := 0 // mostly dry, the city's share of rain and storms, a little of the rest
		switch x := rng.Float64(); {
		case x < city.rain*0.8:
			weather = 2
		case x < city.rain:
			weather = 3
		case x < city.rain+0.25:
			weather = []int{1, 4, 5, 6, 7}[rng.IntN(5)]
		}
		w := synthWeather[weather]
		temp := 18 + 5*math.Cos(2*math.Pi*float64(hour-15)/24) + w.tempC + 0.7*rng.NormFloat64()
		precip := w.precip * (0.5 + rng.Float64())
		dpc := city.dpc * lognormal(0.4)
		if rush {
			dpc *= 1.6
		}
		pressure := math.Round(1000*0.7*(1-math.Exp(-dpc/2.5))) / 10

		o := synthOrder{distance: distance, avgPrep: avgPrep, lines: lines, weather: weather,
			dpc: dpc, rush: rush, night: night, courierKnown: rng.Float64() < synthCourierKnown}
		o.drawCourier(rng)
		minutes := o.minutes(rng)

		weekday := float64(local.Weekday()) // ISO: Monday 1 … Sunday 7
		if weekday == 0 {
			weekday = 7
		}
		x := []float64{distance, float64(hour), weekday, b2f(weekend), b2f(rush), b2f(holiday),
			float64(items), avgPrep}
		if o.courierKnown {
			x = append(x, 1, o.speedFactor, float64(o.active))
			for i := range synthVehicles {
				x = append(x, b2f(i == o.vehicle))
			}
		} else {
			x = append(x, make([]float64, 3+len(synthVehicles))...)
		}
		x = append(x, temp, precip, b2f(weather == 2 || weather == 3))
		for i := range synthWeather {
			x = append(x, b2f(i == weather))
		}
		x = append(x, pressure)
		examples = append(examples, Example{Vector: x, CityID: int32(cityID + 1), PlacedAt: at, Minutes: minutes})
		orders = append(orders, o)
	}
	return examples, orders
}

// synthOrder is what decides an order's delivery time, observed or not.
type synthOrder struct {
	distance, avgPrep, speedFactor, dpc float64
	lines, vehicle, active, weather     int
	rush, night, courierKnown           bool
}

// drawCourier draws the order's courier: vehicle, speed factor and orders on board.
func (o *synthOrder) drawCourier(rng *rand.Rand) {
	shares := make([]float64, len(synthVehicles))
	for i, v := range synthVehicles {
		shares[i] = v.share
	}
	o.vehicle = pick(rng, shares)
	o.speedFactor = 0.8 + 0.4*rng.Float64()
	o.active = pick(rng, []float64{0.4, 0.3, 0.15, 0.1, 0.05})
}

// guess draws a delivery time given only what the features show: like minutes, with
// another courier when the order's was not known at placement.
func (o synthOrder) guess(rng *rand.Rand) float64 {
	if !o.courierKnown {
		o.drawCourier(rng)
	}
	return o.minutes(rng)
}

// pick draws an index with the given probabilities.
func pick(rng *rand.Rand, probs []float64) int {
	x := rng.Float64()
	for i, p := range probs {
		if x < p {
			return i
		}
		x -= p
	}
	return len(probs) - 1
}

// minutes draws the order's delivery time: the hidden causes and the noise come from rng.
func (o synthOrder) minutes(rng *rand.Rand) float64 {
	lognormal := func(sigma float64) float64 { return math.Exp(sigma * rng.NormFloat64()) }
	traffic := 1.0
	switch {
	case o.rush:
		traffic = 0.8
	case o.night:
		traffic = 1.15
	}
	kitchenLoad := rng.IntN(3)
	if o.rush {
		kitchenLoad += rng.IntN(3)
	}
	prep := o.avgPrep * (1 + 0.05*float64(o.lines-1)) * (1 + 0.05*float64(kitchenLoad)) * lognormal(0.2)
	if o.rush {
		prep *= 1.15
	}
	prep = math.Max(2, prep)
	condition := 1 + rng.IntN(5)
	speed := synthVehicles[o.vehicle].kmh * (0.8 + 0.05*float64(condition)) * o.speedFactor *
		synthWeather[o.weather].speed * traffic
	wait := 0.0 // orders queue for a courier when the city is saturated
	if o.dpc > 3 {
		wait = rng.ExpFloat64() * 1.5 * (o.dpc - 3)
	}
	approach := (0.3 + 2.5*rng.Float64()) * 1.35 / speed * 60
	ready := math.Max(prep, math.Max(0, o.avgPrep-5)+wait+approach)
	travel := o.distance*1.35/speed*60 + 2 + float64(o.active) + 3*(1-math.Exp(-o.dpc/10))
	travel = math.Max(1, travel*lognormal(0.15))
	return 1 + 2*rng.Float64() + ready + travel
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
