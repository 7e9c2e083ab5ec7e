package pressure

import (
	"math"
	"testing"
)

func TestCompute(t *testing.T) {
	tests := []struct {
		name                string
		open, avail         int
		avg                 float64
		have                bool
		wantDemand          float64
		wantExcess          float64
		wantPressure        float64
		wantLevel           Level
		wantOpen, wantAvail int
	}{
		// 0.7 × (1 − e^0) + 0 = 0.
		{"no open orders", 0, 5, 20, true, 0, 0, 0, Normal, 0, 5},
		{"no open orders and no courier", 0, 0, 20, true, 0, 0, 0, Normal, 0, 0},
		// demand 0; excess (45 − 30)/30 = 0.5 → 100 × 0.3 × 0.5 = 15.
		{"no open orders, slow deliveries", 0, 3, 45, true, 0, 0.5, 15, Normal, 0, 3},
		// demand 5/5 = 1; 70 × (1 − e^−0.4) = 70 × 0.329680 = 23.0776 → 23.1.
		{"one order per courier", 5, 5, 30, true, 1, 0, 23.1, Normal, 5, 5},
		// demand 1/0.5 = 2; 70 × (1 − e^−0.8) = 70 × 0.550671 = 38.547 → 38.5.
		{"one order, no courier", 1, 0, 20, true, 2, 0, 38.5, Normal, 1, 0},
		// demand 10/0.5 = 20; 70 × (1 − e^−8) = 69.9765 → 70.0: the demand ceiling.
		{"ten orders, no courier", 10, 0, 20, true, 20, 0, 70, Normal, 10, 0},
		// the same plus excess (45 − 30)/30 = 0.5: 69.9765 + 15 = 84.9765 → 85.0.
		{"ten orders, no courier, 45 min deliveries", 10, 0, 45, true, 20, 0.5, 85, Critical, 10, 0},
		// demand 6; excess 1 (clamped from 2): 70 × (1 − e^−2.4) + 30 = 63.6497 + 30 → 93.6.
		{"three orders, no courier, 90 min deliveries", 3, 0, 90, true, 6, 1, 93.6, Critical, 3, 0},
		// demand 3: 70 × (1 − e^−1.2) = 48.9164; + (56.1 − 30) = 75.0164 → 75.0.
		{"warning boundary reached", 6, 2, 56.1, true, 3, 0.87, 75, Warning, 6, 2},
		// 48.9164 + 26.0 = 74.9164 → 74.9.
		{"just below warning", 6, 2, 56.0, true, 3, 26.0 / 30, 74.9, Normal, 6, 2},
		// 48.9164 + 26.04 = 74.9564 rounds to 75.0: the level follows the rounded value.
		{"rounded up to warning", 6, 2, 56.04, true, 3, 26.04 / 30, 75, Warning, 6, 2},
		// demand 5: 70 × (1 − e^−2) = 60.5265; + (54.5 − 30) = 85.0265 → 85.0.
		{"critical boundary reached", 10, 2, 54.5, true, 5, 24.5 / 30, 85, Critical, 10, 2},
		// 60.5265 + 24.4 = 84.9265 → 84.9.
		{"just below critical", 10, 2, 54.4, true, 5, 24.4 / 30, 84.9, Warning, 10, 2},
		// no delivery in 15 min: excess 0 whatever the average says.
		{"no recent deliveries", 10, 0, 90, false, 20, 0, 70, Normal, 10, 0},
		{"negative counts", -3, -1, 20, true, 0, 0, 0, Normal, 0, 0},
		{"average is not a number", 5, 5, math.NaN(), true, 1, 0, 23.1, Normal, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.open, tt.avail, tt.avg, tt.have)
			if got.OpenOrders != tt.wantOpen || got.AvailableCouriers != tt.wantAvail {
				t.Errorf("counts = %d, %d, want %d, %d", got.OpenOrders, got.AvailableCouriers, tt.wantOpen, tt.wantAvail)
			}
			if math.Abs(got.DemandPerCourier-tt.wantDemand) > 1e-9 {
				t.Errorf("demand_per_courier = %v, want %v", got.DemandPerCourier, tt.wantDemand)
			}
			if math.Abs(got.DelayExcess-tt.wantExcess) > 1e-9 {
				t.Errorf("delay_excess = %v, want %v", got.DelayExcess, tt.wantExcess)
			}
			if got.Pressure != tt.wantPressure {
				t.Errorf("pressure = %v, want %v", got.Pressure, tt.wantPressure)
			}
			if got.Level != tt.wantLevel {
				t.Errorf("level = %q, want %q", got.Level, tt.wantLevel)
			}
		})
	}
}

func TestScoreStaysInRange(t *testing.T) {
	tests := []struct {
		demand, excess, want float64
	}{
		{0, 0, 0},
		{1e9, 1, 100},
		{math.Inf(1), 1, 100},
		{-5, -1, 0}, // clamped: 0.7 × (1 − e^2) is negative
	}
	for _, tt := range tests {
		if got := Score(tt.demand, tt.excess); got != tt.want {
			t.Errorf("Score(%v, %v) = %v, want %v", tt.demand, tt.excess, got, tt.want)
		}
	}
}

func TestDelayExcess(t *testing.T) {
	tests := []struct{ avg, want float64 }{
		{0, 0}, {30, 0}, {39, 0.3}, {45, 0.5}, {60, 1}, {120, 1},
	}
	for _, tt := range tests {
		if got := DelayExcess(tt.avg); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("DelayExcess(%v) = %v, want %v", tt.avg, got, tt.want)
		}
	}
}

func TestDemandPerCourierFractional(t *testing.T) {
	tests := []struct{ open, avail, want float64 }{
		{3, 1.5, 2}, {3, 0.2, 6}, {3, 0, 6}, {0, 0, 0},
	}
	for _, tt := range tests {
		if got := DemandPerCourier(tt.open, tt.avail); got != tt.want {
			t.Errorf("DemandPerCourier(%v, %v) = %v, want %v", tt.open, tt.avail, got, tt.want)
		}
	}
}

func TestLevelOf(t *testing.T) {
	tests := []struct {
		p    float64
		want Level
	}{
		{0, Normal}, {74.9, Normal}, {75, Warning}, {84.9, Warning}, {85, Critical}, {100, Critical},
	}
	for _, tt := range tests {
		if got := LevelOf(tt.p); got != tt.want {
			t.Errorf("LevelOf(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
