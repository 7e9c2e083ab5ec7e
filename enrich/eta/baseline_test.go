package eta

import (
	"math"
	"strings"
	"testing"
	"time"
)

// utc is a time on 2 June 2025 at h:m UTC, that is h+1:m in Tunis.
func utc(h, m int) time.Time { return time.Date(2025, 6, 2, h, m, 0, 0, time.UTC) }

func TestBaselines(t *testing.T) {
	train := []Example{
		{CityID: 1, PlacedAt: utc(11, 5), Minutes: 10},  // 12:05 local
		{CityID: 1, PlacedAt: utc(11, 55), Minutes: 20}, // 12:55 local
		{CityID: 1, PlacedAt: utc(12, 0), Minutes: 30},  // 13:00 local
		{CityID: 2, PlacedAt: utc(11, 30), Minutes: 40}, // 12:30 local
		{CityID: 2, PlacedAt: utc(22, 59), Minutes: 60}, // 23:59 local
		{CityID: 2, PlacedAt: utc(23, 0), Minutes: 20},  // 00:00 local, next day
	}
	b, err := FitBaselines(train)
	if err != nil {
		t.Fatal(err)
	}
	if want := 180.0 / 6; b.Global != want {
		t.Errorf("global mean = %v, want %v", b.Global, want)
	}
	tests := []struct {
		name string
		city int32
		at   time.Time
		want float64
	}{
		{"cell mean", 1, utc(11, 40), 15},        // (10 + 20) / 2
		{"one-example cell", 1, utc(12, 59), 30}, // 13 h local
		{"same hour on another day", 2, utc(11, 0).AddDate(0, 0, 5), 40},
		{"late evening", 2, utc(22, 0), 60},                      // 23 h local
		{"midnight local", 2, utc(23, 30), 20},                   // 0 h local, not 23 h
		{"empty cell falls back to the city", 1, utc(17, 0), 20}, // (10 + 20 + 30) / 3
		{"unknown city falls back to global", 3, utc(11, 5), 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.CityHour(tt.city, tt.at); got != tt.want {
				t.Errorf("CityHour(%d, %v) = %v, want %v", tt.city, tt.at, got, tt.want)
			}
		})
	}
}

func TestFitBaselinesEmpty(t *testing.T) {
	if _, err := FitBaselines(nil); err == nil || !strings.Contains(err.Error(), "no training examples") {
		t.Errorf("FitBaselines(nil) error = %v", err)
	}
}

func TestMeasure(t *testing.T) {
	ex := func(minutes float64) Example { return Example{Minutes: minutes} }
	tests := []struct {
		name     string
		examples []Example
		predict  float64
		want     Metrics
	}{
		// Errors 1, 2, 3, 4, 10: p50 is the 3rd smallest, p90 the 5th (4.5 rounded up).
		{"five", []Example{ex(21), ex(18), ex(23), ex(16), ex(30)}, 20, Metrics{N: 5, MAE: 4, P50: 3, P90: 10}},
		{"exact", []Example{ex(20), ex(20)}, 20, Metrics{N: 2}},
		{"one", []Example{ex(25)}, 20, Metrics{N: 1, MAE: 5, P50: 5, P90: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Measure(tt.examples, func(Example) float64 { return tt.predict })
			if got != tt.want {
				t.Errorf("Measure = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := Measure(nil, nil); got.N != 0 || !math.IsNaN(got.MAE) || !math.IsNaN(got.P50) || !math.IsNaN(got.P90) {
		t.Errorf("Measure(nil) = %+v, want NaNs", got)
	}
}

func TestEvaluate(t *testing.T) {
	train := []Example{
		{Vector: []float64{1}, CityID: 1, PlacedAt: utc(11, 0), Minutes: 10},
		{Vector: []float64{3}, CityID: 1, PlacedAt: utc(11, 1), Minutes: 30},
		{Vector: []float64{2}, CityID: 2, PlacedAt: utc(11, 2), Minutes: 50},
	}
	test := []Example{
		{Vector: []float64{2}, CityID: 1, PlacedAt: utc(11, 30), Minutes: 22},
		{Vector: []float64{2}, CityID: 2, PlacedAt: utc(11, 31), Minutes: 46},
	}
	m, err := Fit([]string{"x"}, train, Config{Lambda: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := FitBaselines(train)
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(m, b, test)
	// Global mean 30: errors 8 and 16. City-hour means 20 and 50: errors 2 and 4.
	if want := (Metrics{N: 2, MAE: 12, P50: 8, P90: 16}); r.GlobalMean != want {
		t.Errorf("global mean metrics = %+v, want %+v", r.GlobalMean, want)
	}
	if want := (Metrics{N: 2, MAE: 3, P50: 2, P90: 4}); r.CityHourMean != want {
		t.Errorf("city-hour metrics = %+v, want %+v", r.CityHourMean, want)
	}
	// The model sees only x = 2 for both test orders, the mean of the training x: it
	// predicts the mean, 30.
	if r.Model.N != 2 || math.Abs(r.Model.MAE-12) > 1e-6 {
		t.Errorf("model metrics = %+v, want MAE 12", r.Model)
	}
}
