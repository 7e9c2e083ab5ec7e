package generate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	offPeak = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)  // 10:00 local, Friday
	rush    = time.Date(2025, 3, 14, 11, 0, 0, 0, time.UTC) // 12:00 local
	night   = time.Date(2025, 3, 14, 23, 0, 0, 0, time.UTC) // 00:00 local
)

func TestTrafficFactor(t *testing.T) {
	tests := []struct {
		at   time.Time
		want float64
	}{{offPeak, 1}, {rush, 0.8}, {night, 1.15}}
	for _, tt := range tests {
		if got := TrafficFactor(tt.at); got != tt.want {
			t.Errorf("TrafficFactor(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestRideSpeed(t *testing.T) {
	scooter := Ride{Vehicle: "scooter", Condition: 4, SpeedFactor: 1}
	if got := scooter.SpeedKmh(Sunny, offPeak); math.Abs(got-24) > 1e-9 {
		t.Fatalf("scooter in fair weather = %v km/h, want 24", got)
	}
	tests := []struct {
		name         string
		slow, fast   Ride
		slowC, fastC Condition
		slowT, fastT time.Time
	}{
		{"rain is slower", scooter, scooter, Rainy, Sunny, offPeak, offPeak},
		{"storm is slower than rain", scooter, scooter, Stormy, Rainy, offPeak, offPeak},
		{"rush hour is slower", scooter, scooter, Sunny, Sunny, rush, offPeak},
		{"a bicycle is slower", Ride{"bicycle", 4, 1}, scooter, Sunny, Sunny, offPeak, offPeak},
		{"a worn vehicle is slower", Ride{"scooter", 1, 1}, scooter, Sunny, Sunny, offPeak, offPeak},
		{"a slow rider is slower", Ride{"scooter", 4, 0.8}, scooter, Sunny, Sunny, offPeak, offPeak},
	}
	for _, tt := range tests {
		if s, f := tt.slow.SpeedKmh(tt.slowC, tt.slowT), tt.fast.SpeedKmh(tt.fastC, tt.fastT); s >= f {
			t.Errorf("%s: %v km/h is not below %v km/h", tt.name, s, f)
		}
	}
}

// meanTravel averages TravelMinutes over many draws.
func meanTravel(km float64, r Ride, c Condition, at time.Time, stacked int, dpc float64) float64 {
	rng := rand.New(rand.NewPCG(5, 6))
	var sum float64
	for range 4000 {
		sum += TravelMinutes(rng, km, r, c, at, stacked, dpc)
	}
	return sum / 4000
}

func TestTravelMinutesResponds(t *testing.T) {
	r := Ride{Vehicle: "scooter", Condition: 3, SpeedFactor: 1}
	base := meanTravel(3, r, Sunny, offPeak, 0, 0)
	// 3 km × 1.35 / (24 × 0.95) h + 2 min handover ≈ 12.7 min, noise mean ≈ 1.01.
	if base < 11.5 || base < 0 || base > 14 {
		t.Fatalf("3 km by scooter = %.1f min, want ~12.8", base)
	}
	tests := []struct {
		name string
		got  float64
	}{
		{"longer distance", meanTravel(6, r, Sunny, offPeak, 0, 0)},
		{"rain", meanTravel(3, r, Rainy, offPeak, 0, 0)},
		{"rush hour", meanTravel(3, r, Sunny, rush, 0, 0)},
		{"orders on board", meanTravel(3, r, Sunny, offPeak, 2, 0)},
		{"city pressure", meanTravel(3, r, Sunny, offPeak, 0, 10)},
		{"bicycle", meanTravel(3, Ride{"bicycle", 3, 1}, Sunny, offPeak, 0, 0)},
	}
	for _, tt := range tests {
		if tt.got <= base+0.5 {
			t.Errorf("%s: %.1f min is not longer than %.1f", tt.name, tt.got, base)
		}
	}
}

func TestPrepMinutes(t *testing.T) {
	mean := func(lines int, rush bool, load int) float64 {
		rng := rand.New(rand.NewPCG(7, 8))
		var sum float64
		for range 4000 {
			sum += PrepMinutes(rng, 15, lines, rush, load)
		}
		return sum / 4000
	}
	base := mean(1, false, 0)
	if base < 14 || base > 16.5 {
		t.Fatalf("prep for avg 15 = %.1f", base)
	}
	if mean(4, false, 0) <= base || mean(1, true, 0) <= base || mean(1, false, 4) <= base {
		t.Fatal("bigger orders, rush hour and a busy kitchen must be slower")
	}
}

func TestPromisedMinutes(t *testing.T) {
	tests := []struct {
		prep, km float64
		rush     bool
		want     int
	}{
		{15, 2, false, 35}, // 2 + 15 + 8.1 + 8 = 33.1 → 35
		{15, 2, true, 40},  // + 5
		{5, 0.2, false, 20},
		{20, 5, false, 55}, // 2 + 20 + 20.25 + 8 = 50.25 → 55
	}
	for _, tt := range tests {
		if got := PromisedMinutes(tt.prep, tt.km, tt.rush); got != tt.want {
			t.Errorf("PromisedMinutes(%v, %v, %v) = %d, want %d", tt.prep, tt.km, tt.rush, got, tt.want)
		}
	}
}

func TestAcceptDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		if d := AcceptDelay(rng); d < time.Minute || d > 3*time.Minute {
			t.Fatalf("AcceptDelay = %v", d)
		}
	}
}

func TestPoisson(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, lambda := range []float64{0.05, 1, 4, 50} {
		var sum float64
		for range 20000 {
			sum += float64(poisson(rng, lambda))
		}
		if mean := sum / 20000; math.Abs(mean-lambda) > 0.05*lambda+0.01 {
			t.Errorf("poisson(%v) mean %v", lambda, mean)
		}
	}
	if poisson(rng, 0) != 0 {
		t.Error("poisson(0) != 0")
	}
}
