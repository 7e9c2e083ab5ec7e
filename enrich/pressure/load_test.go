package pressure

import (
	"math"
	"testing"
)

func TestLoadScore(t *testing.T) {
	tests := []struct {
		name                             string
		orders, maxOrders, prep, maxPrep float64
		want                             float64
	}{
		// 100 × (0.6 × 6/12 + 0.4 × 15/30) = 100 × (0.3 + 0.2) = 50.
		{"half of everything", 6, 12, 15, 30, 50},
		// the busiest and slowest kitchen of its city: 100 × (0.6 + 0.4) = 100.
		{"busiest and slowest", 12, 12, 30, 30, 100},
		// max prep 10 is floored at 20: 100 × (0.6 × 1 + 0.4 × 10/20) = 80.
		{"quick kitchens use the 20 min floor", 4, 4, 10, 10, 80},
		// no orders in the city: order term 0; 100 × 0.4 × 12/24 = 20.
		{"no orders in the city", 0, 0, 12, 24, 20},
		{"no orders and no pickups", 0, 0, 0, 0, 0},
		// no pickups in the city: prep 0 over the 20 floor; 100 × 0.6 × 3/6 = 30.
		{"no pickups in the city", 3, 6, 0, 0, 30},
		// a restaurant slower than the city maximum (stale maximum): capped at 100.
		{"capped at 100", 12, 12, 60, 20, 100},
		{"negative arguments", -1, 4, -5, 30, 0},
	}
	for _, tt := range tests {
		if got := LoadScore(tt.orders, tt.maxOrders, tt.prep, tt.maxPrep); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: LoadScore = %v, want %v", tt.name, got, tt.want)
		}
	}
}
