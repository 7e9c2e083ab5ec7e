package generate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/flavortrend/flavortrend/generate/refdata"
	"github.com/flavortrend/flavortrend/internal/calendar"
)

// Condition is a weather condition of weather_observations.condition.
type Condition int

// The eight conditions, in the order of the distributions below.
const (
	Sunny Condition = iota
	Cloudy
	Rainy
	Stormy
	Windy
	Fog
	Hot
	Sandstorm
	conditionCount
)

var conditionNames = [conditionCount]string{"sunny", "cloudy", "rainy", "stormy", "windy", "fog", "hot", "sandstorm"}

// String is the condition's name as stored in the database.
func (c Condition) String() string { return conditionNames[c] }

// IsRain is SPEC §4.1's is_rain: rainy or stormy.
func (c Condition) IsRain() bool { return c == Rainy || c == Stormy }

// Season is a meteorological season of the northern hemisphere.
type Season int

// Seasons by month: winter Dec–Feb, spring Mar–May, summer Jun–Aug, autumn Sep–Nov.
const (
	Winter Season = iota
	Spring
	Summer
	Autumn
)

// SeasonOf is the season of t's local month.
func SeasonOf(t time.Time) Season {
	return Season(int(t.In(calendar.Tunis).Month()) % 12 / 3)
}

// WeatherInterval is how often every city gets an observation (simulated time).
const WeatherInterval = 5 * time.Minute

// climate is the long-run share π of each condition, per region and season, in the order
// sunny, cloudy, rainy, stormy, windy, fog, hot, sandstorm. The north has wet winters,
// the centre is drier, the Saharan south has heat and sandstorms and little rain.
var climate = [3][4][conditionCount]float64{
	refdata.North: {
		Winter: {0.30, 0.30, 0.22, 0.05, 0.08, 0.05, 0, 0},
		Spring: {0.45, 0.25, 0.12, 0.03, 0.08, 0.03, 0.04, 0},
		Summer: {0.60, 0.10, 0.02, 0.02, 0.05, 0.01, 0.20, 0},
		Autumn: {0.40, 0.28, 0.17, 0.05, 0.06, 0.03, 0.01, 0},
	},
	refdata.Centre: {
		Winter: {0.40, 0.28, 0.14, 0.03, 0.10, 0.04, 0, 0.01},
		Spring: {0.50, 0.20, 0.07, 0.02, 0.10, 0.02, 0.06, 0.03},
		Summer: {0.55, 0.08, 0.01, 0.01, 0.07, 0.01, 0.25, 0.02},
		Autumn: {0.45, 0.25, 0.12, 0.04, 0.07, 0.02, 0.04, 0.01},
	},
	refdata.South: {
		Winter: {0.55, 0.20, 0.05, 0.01, 0.08, 0.03, 0, 0.08},
		Spring: {0.50, 0.15, 0.03, 0.01, 0.10, 0.01, 0.10, 0.10},
		Summer: {0.45, 0.05, 0.01, 0.01, 0.06, 0, 0.36, 0.06},
		Autumn: {0.55, 0.15, 0.05, 0.02, 0.08, 0.01, 0.08, 0.06},
	},
}

// persistence is the probability that a condition is still in force at the next
// 5-minute observation. The mean spell lasts 5 min / (1 − p): about 4 h for settled
// weather (0.98), 100 min for rain (0.95), 50 min for storms and sandstorms (0.90).
var persistence = [conditionCount]float64{0.98, 0.98, 0.95, 0.90, 0.96, 0.96, 0.98, 0.90}

// NextCondition steps the weather Markov chain by one 5-minute interval:
//
//	P(i → i) = p_i + (1 − p_i) · q_i,   P(i → j) = (1 − p_i) · q_j  for j ≠ i,
//	q_j = π_j (1 − p_j) / Σ_k π_k (1 − p_k)
//
// where p is persistence and π the region-season climate: when a spell ends, the next
// condition is drawn from q (possibly the same one). Weighting the redraw by 1 − p makes
// the chain's long-run share of each condition exactly the climate π (the stationary
// distribution s satisfies s_j (1 − p_j) ∝ q_j).
func NextCondition(rng *rand.Rand, cur Condition, region refdata.Region, season Season) Condition {
	if rng.Float64() < persistence[cur] {
		return cur
	}
	var q [conditionCount]float64
	for j, pi := range climate[region][season] {
		q[j] = pi * (1 - persistence[j])
	}
	return Condition(refdata.Weighted(rng, q[:]))
}

// DrawCondition draws a condition from the region-season climate π (the chain's long-run
// distribution), for a city's first observation.
func DrawCondition(rng *rand.Rand, region refdata.Region, season Season) Condition {
	return Condition(refdata.Weighted(rng, climate[region][season][:]))
}

// meanTemperature is the daily mean air temperature in °C per region and season.
var meanTemperature = [3][4]float64{
	refdata.North:  {11, 17, 27, 20},
	refdata.Centre: {12, 19, 28, 22},
	refdata.South:  {13, 22, 32, 23},
}

// conditionTemperature shifts the temperature by condition: heat waves and sandstorms
// are warmer, rain, storms and fog cooler.
var conditionTemperature = [conditionCount]float64{1, -1, -3, -4, -1, -3, 7, 4}

// Observation is one weather reading of a city.
type Observation struct {
	Condition       Condition
	TemperatureC    float64 // one decimal
	PrecipitationMM float64 // over the last hour, one decimal
	WindKmh         float64 // one decimal
}

// Observe draws the readings consistent with a condition at t:
//
//	temperature = season mean + 5 · cos(2π (hour − 15) / 24) + condition shift + N(0, 0.7)
//
// (daily cycle peaking at 15:00 local); precipitation 0.5–6 mm when rainy, 6–25 mm in a
// storm, 0 otherwise; wind uniform in a range per condition (windy 35–60 km/h, storm
// 45–85, sandstorm 40–70, calm conditions below 25).
func Observe(rng *rand.Rand, c Condition, region refdata.Region, t time.Time) Observation {
	l := t.In(calendar.Tunis)
	hour := float64(l.Hour()) + float64(l.Minute())/60
	temp := meanTemperature[region][SeasonOf(t)] + 5*math.Cos(2*math.Pi*(hour-15)/24) +
		conditionTemperature[c] + 0.7*rng.NormFloat64()
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	var precip float64
	switch c {
	case Rainy:
		precip = uniform(0.5, 6)
	case Stormy:
		precip = uniform(6, 25)
	}
	windRange := [conditionCount][2]float64{
		Sunny: {4, 18}, Cloudy: {8, 22}, Rainy: {10, 30}, Stormy: {45, 85},
		Windy: {35, 60}, Fog: {0, 8}, Hot: {5, 15}, Sandstorm: {40, 70},
	}[c]
	return Observation{
		Condition:       c,
		TemperatureC:    round1(temp),
		PrecipitationMM: round1(precip),
		WindKmh:         round1(uniform(windRange[0], windRange[1])),
	}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
