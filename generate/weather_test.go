package generate

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/generate/refdata"
)

func TestClimateRowsAreDistributions(t *testing.T) {
	for r, seasons := range climate {
		for s, row := range seasons {
			var sum float64
			for _, p := range row {
				if p < 0 {
					t.Errorf("region %d season %d: negative share", r, s)
				}
				sum += p
			}
			if sum < 0.999 || sum > 1.001 {
				t.Errorf("region %d season %d: shares sum to %v", r, s, sum)
			}
		}
	}
}

func TestSeasonOf(t *testing.T) {
	tests := []struct {
		month time.Month
		want  Season
	}{
		{time.January, Winter}, {time.February, Winter}, {time.March, Spring}, {time.May, Spring},
		{time.June, Summer}, {time.August, Summer}, {time.September, Autumn}, {time.November, Autumn},
		{time.December, Winter},
	}
	for _, tt := range tests {
		if got := SeasonOf(time.Date(2025, tt.month, 10, 12, 0, 0, 0, time.UTC)); got != tt.want {
			t.Errorf("SeasonOf(%v) = %v, want %v", tt.month, got, tt.want)
		}
	}
}

// chainShares runs the chain for n steps and returns the share of each condition.
func chainShares(region refdata.Region, season Season, n int) [conditionCount]float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	var counts [conditionCount]float64
	c := DrawCondition(rng, region, season)
	for range n {
		c = NextCondition(rng, c, region, season)
		counts[c]++
	}
	for i := range counts {
		counts[i] /= float64(n)
	}
	return counts
}

func TestWeatherChainClimates(t *testing.T) {
	const steps = 400_000 // ~4 years of 5-minute steps
	northWinter := chainShares(refdata.North, Winter, steps)
	southWinter := chainShares(refdata.South, Winter, steps)
	southSummer := chainShares(refdata.South, Summer, steps)
	northSummer := chainShares(refdata.North, Summer, steps)

	if rain := northWinter[Rainy] + northWinter[Stormy]; rain < 0.15 || rain > 0.40 {
		t.Errorf("north winter rain share %.3f, want a wet winter (0.15–0.40)", rain)
	}
	if southWinter[Rainy]+southWinter[Stormy] >= northWinter[Rainy]+northWinter[Stormy]/2 {
		t.Errorf("south winter is as wet as the north: %v vs %v", southWinter, northWinter)
	}
	if northWinter[Sandstorm] != 0 || northSummer[Sandstorm] != 0 {
		t.Error("sandstorms in the north")
	}
	if southSummer[Sandstorm] < 0.02 || southSummer[Hot] < 0.2 {
		t.Errorf("south summer: sandstorm %.3f hot %.3f, want hot with sandstorms", southSummer[Sandstorm], southSummer[Hot])
	}
	if northWinter[Hot] != 0 {
		t.Error("heat waves in a northern winter")
	}
	// The chain's long-run shares are the climate table itself.
	for c := Condition(0); c < conditionCount; c++ {
		if want := climate[refdata.North][Winter][c]; northWinter[c] < want-0.03 || northWinter[c] > want+0.03 {
			t.Errorf("north winter %v: long-run share %.3f, climate %.3f", c, northWinter[c], want)
		}
	}
}

func TestWeatherChainPersists(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	c := Sunny
	changes := 0
	for range 10_000 {
		next := NextCondition(rng, c, refdata.Centre, Spring)
		if next != c {
			changes++
		}
		c = next
	}
	// Mean spells last hours, so fewer than 1 step in 10 changes the condition.
	if changes > 1000 || changes == 0 {
		t.Fatalf("%d changes in 10,000 steps", changes)
	}
}

func TestObserveConsistentWithCondition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	noon := time.Date(2025, 7, 10, 11, 0, 0, 0, time.UTC)
	night := time.Date(2025, 7, 10, 2, 0, 0, 0, time.UTC)
	for c := Condition(0); c < conditionCount; c++ {
		for range 200 {
			o := Observe(rng, c, refdata.South, noon)
			if o.Condition != c || o.PrecipitationMM < 0 || o.WindKmh < 0 {
				t.Fatalf("%v: %+v", c, o)
			}
			if c.IsRain() != (o.PrecipitationMM > 0) {
				t.Fatalf("%v: precipitation %v", c, o.PrecipitationMM)
			}
			switch c {
			case Stormy, Windy, Sandstorm:
				if o.WindKmh < 35 {
					t.Fatalf("%v: wind %v km/h", c, o.WindKmh)
				}
			case Fog:
				if o.WindKmh > 8 {
					t.Fatalf("fog with wind %v km/h", o.WindKmh)
				}
			}
		}
	}
	var hot, rainy, day, dark float64
	for range 500 {
		hot += Observe(rng, Hot, refdata.South, noon).TemperatureC
		rainy += Observe(rng, Rainy, refdata.South, noon).TemperatureC
		day += Observe(rng, Sunny, refdata.North, noon).TemperatureC
		dark += Observe(rng, Sunny, refdata.North, night).TemperatureC
	}
	if hot <= rainy+500*5 {
		t.Errorf("hot %.1f °C not well above rainy %.1f °C", hot/500, rainy/500)
	}
	if day <= dark+500*5 {
		t.Errorf("noon %.1f °C not well above night %.1f °C", day/500, dark/500)
	}
}
