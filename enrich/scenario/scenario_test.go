package scenario

import (
	"math"
	"strings"
	"testing"

	"github.com/flavortrend/flavortrend/enrich/pressure"
)

// flat is a fake model that ignores pressure: 30 minutes, 40 in the rain.
type flat struct{}

func (flat) PredictMinutes(o Order) float64 {
	if o.Rain {
		return 40
	}
	return 30
}

// linear is a fake model in which pressure slows deliveries: 30 + 0.1 × pressure, plus
// 10 in the rain.
type linear struct{}

func (linear) PredictMinutes(o Order) float64 {
	m := 30 + 0.1*o.Pressure
	if o.Rain {
		m += 10
	}
	return m
}

// modelFunc adapts a function to Predictor.
type modelFunc func(Order) float64

func (f modelFunc) PredictMinutes(o Order) float64 { return f(o) }

// city: 6 open orders, 4 available couriers, 40 min average delivery: demand 1.5,
// 70 × (1 − e^−0.6) = 31.58 plus 30 × (40 − 30)/30 = 10 → pressure 41.6. 2 orders and 0.2
// breaches a minute: one order in ten breaches.
var city = Baseline{
	OpenOrders: 6, AvailableCouriers: 4, OrdersPerMinute: 2,
	AvgDeliveryMinutes: 40, HaveDeliveries: true, BreachesPerMinute: 0.2,
	Typical: Typical{DistanceKm: 3, PrepMinutes: 12},
}

const eps = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= eps }

func TestIdentityScenarioPredictsTheBaseline(t *testing.T) {
	for _, p := range []Predictor{flat{}, linear{}} {
		got, err := Estimate(city, Scenario{PromoFactor: 1}, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Predicted != got.Baseline || got.Delta != (Metrics{}) {
			t.Errorf("%T: predicted %+v, baseline %+v, delta %+v", p, got.Predicted, got.Baseline, got.Delta)
		}
		if got.Baseline.Pressure != 41.6 {
			t.Errorf("%T: baseline pressure %v, want 41.6", p, got.Baseline.Pressure)
		}
	}
}

func TestEstimateFlatModel(t *testing.T) {
	tests := []struct {
		name string
		s    Scenario
		want Metrics
	}{
		{
			// available 4 × 0.5 = 2; demand 3: 48.92 + 10 → 58.9. ETA unchanged (k = 1),
			// so open orders, delivery minutes and breaches are too.
			name: "half the couriers out",
			s:    Scenario{PromoFactor: 1, OutageShare: 0.5},
			want: Metrics{OpenOrders: 6, AvailableCouriers: 2, OrdersPerMinute: 2, Pressure: 58.9,
				DemandPerCourier: 3, AvgDeliveryMinutes: 40, BreachesPerMinute: 0.2, TypicalETAMinutes: 30},
		},
		{
			// orders × 2 → open 12, demand 3 → 58.9; breaches × 2 (same share).
			name: "promo ×2",
			s:    Scenario{PromoFactor: 2},
			want: Metrics{OpenOrders: 12, AvailableCouriers: 4, OrdersPerMinute: 4, Pressure: 58.9,
				DemandPerCourier: 3, AvgDeliveryMinutes: 40, BreachesPerMinute: 0.4, TypicalETAMinutes: 30},
		},
		{
			// ETA 30 → 40: k = 4/3. Open 6 × 4/3 = 8, demand 2: 38.55; average 40 × 4/3 =
			// 53.33: excess 0.7778 → 23.33; pressure 61.9. Breach share 0.1 → 0.1^(3/4) =
			// 0.177828, so breaches 0.2 × 1.77828 = 0.355656.
			name: "rain",
			s:    Scenario{PromoFactor: 1, Rain: true},
			want: Metrics{OpenOrders: 8, AvailableCouriers: 4, OrdersPerMinute: 2, Pressure: 61.9,
				DemandPerCourier: 2, AvgDeliveryMinutes: 160.0 / 3, BreachesPerMinute: 0.2 * math.Pow(0.1, 0.75) / 0.1,
				TypicalETAMinutes: 40},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Estimate(city, tt.s, flat{})
			if err != nil {
				t.Fatal(err)
			}
			checkMetrics(t, "predicted", got.Predicted, tt.want)
			checkMetrics(t, "delta", got.Delta, sub(tt.want, got.Baseline))
		})
	}
	// 0.1^0.75 by hand, so that the formula above is not merely restated.
	if got, _ := Estimate(city, Scenario{PromoFactor: 1, Rain: true}, flat{}); math.Abs(got.Predicted.BreachesPerMinute-0.355656) > 1e-6 {
		t.Errorf("rain breaches = %v, want 0.355656", got.Predicted.BreachesPerMinute)
	}
}

func TestEstimateSolvesThePressureLoop(t *testing.T) {
	tests := []struct {
		name         string
		s            Scenario
		wantPressure float64
	}{
		// Rounds (see the iteration in Estimate): 41.6 → 58.9 → 62.2 → 62.8 → 62.9 → 62.9.
		{"half the couriers out", Scenario{PromoFactor: 1, OutageShare: 0.5}, 62.9},
		// 41.6 → 84.9 → 91.3 → 92.3 → 92.4 → 92.4.
		{"promo, outage and rain", Scenario{PromoFactor: 1.5, OutageShare: 0.5, Rain: true}, 92.4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Estimate(city, tt.s, linear{})
			if err != nil {
				t.Fatal(err)
			}
			p := got.Predicted
			if p.Pressure != tt.wantPressure {
				t.Errorf("pressure %v, want %v", p.Pressure, tt.wantPressure)
			}
			// A fixed point: the ETA is the model's at the predicted pressure, and the
			// pressure is §4.7's of the predicted inputs.
			eta := linear{}.PredictMinutes(Order{Typical: Typical{DistanceKm: 3, PrepMinutes: 12, Rain: tt.s.Rain}, Pressure: p.Pressure})
			if !near(p.TypicalETAMinutes, eta) {
				t.Errorf("typical ETA %v, model at the predicted pressure %v", p.TypicalETAMinutes, eta)
			}
			k := eta / got.Baseline.TypicalETAMinutes
			if !near(p.OpenOrders, 6*tt.s.PromoFactor*k) || !near(p.AvgDeliveryMinutes, 40*k) {
				t.Errorf("open %v, average %v, want %v, %v", p.OpenOrders, p.AvgDeliveryMinutes, 6*tt.s.PromoFactor*k, 40*k)
			}
			again := pressure.Score(pressure.DemandPerCourier(p.OpenOrders, p.AvailableCouriers), pressure.DelayExcess(p.AvgDeliveryMinutes))
			if again != p.Pressure {
				t.Errorf("pressure of the predicted inputs %v, predicted %v", again, p.Pressure)
			}
			// Slower deliveries than the flat model's prediction of the same scenario.
			flatGot, _ := Estimate(city, tt.s, flat{})
			if p.Pressure <= flatGot.Predicted.Pressure {
				t.Errorf("pressure %v with a pressure-sensitive model, not above %v", p.Pressure, flatGot.Predicted.Pressure)
			}
		})
	}
}

func TestEstimateWithoutRecentDeliveries(t *testing.T) {
	b := city
	b.HaveDeliveries = false
	b.AvgDeliveryMinutes = 0
	got, err := Estimate(b, Scenario{PromoFactor: 1, Rain: true}, flat{})
	if err != nil {
		t.Fatal(err)
	}
	// delay_excess stays 0: base demand 1.5 → 31.6; rain k = 4/3, open 8, demand 2 → 38.5.
	if got.Baseline.Pressure != 31.6 || got.Predicted.Pressure != 38.5 {
		t.Errorf("pressure %v → %v, want 31.6 → 38.5", got.Baseline.Pressure, got.Predicted.Pressure)
	}
	if got.Baseline.AvgDeliveryMinutes != 30 || got.Predicted.AvgDeliveryMinutes != 40 {
		t.Errorf("average delivery %v → %v, want the model's 30 → 40", got.Baseline.AvgDeliveryMinutes, got.Predicted.AvgDeliveryMinutes)
	}
}

func TestBreachEdgeCases(t *testing.T) {
	tests := []struct {
		name        string
		opm, breach float64
		s           Scenario
		want        float64
	}{
		{"no breach stays none", 2, 0, Scenario{PromoFactor: 2, Rain: true}, 0},
		{"no order keeps the breaches", 0, 0.3, Scenario{PromoFactor: 2, Rain: true}, 0.3},
		// share capped at 1: every order breaches already, so only volume scales.
		{"every order breaches", 1, 1.5, Scenario{PromoFactor: 2, Rain: true}, 3},
	}
	for _, tt := range tests {
		b := city
		b.OrdersPerMinute, b.BreachesPerMinute = tt.opm, tt.breach
		got, err := Estimate(b, tt.s, flat{})
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Predicted.BreachesPerMinute, tt.want) {
			t.Errorf("%s: breaches %v, want %v", tt.name, got.Predicted.BreachesPerMinute, tt.want)
		}
	}
}

func TestEstimateRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		b    Baseline
		s    Scenario
		p    Predictor
		want string
	}{
		{"promo below 1", city, Scenario{PromoFactor: 0.5}, flat{}, "promo factor 0.5"},
		{"promo not a number", city, Scenario{PromoFactor: math.NaN()}, flat{}, "promo factor NaN"},
		{"outage above 1", city, Scenario{PromoFactor: 1, OutageShare: 1.2}, flat{}, "outage share 1.2"},
		{"negative open orders", Baseline{OpenOrders: -1, AvgDeliveryMinutes: 30, HaveDeliveries: true}, Scenario{PromoFactor: 1}, flat{}, "open orders -1"},
		{"no predictor", city, Scenario{PromoFactor: 1}, nil, "no predictor"},
		{"model says zero", city, Scenario{PromoFactor: 1}, modelFunc(func(Order) float64 { return 0 }), "predictor returned 0"},
		{"model says NaN", city, Scenario{PromoFactor: 1}, modelFunc(func(Order) float64 { return math.NaN() }), "predictor returned NaN"},
		{
			// Fast when pressure is high, slow when it is low: 41.6 → 58.9 (fast) → 6.7
			// (slow) → 58.9 …
			"model not monotone", city, Scenario{PromoFactor: 1, OutageShare: 0.5},
			modelFunc(func(o Order) float64 {
				if o.Pressure < 50 {
					return 120
				}
				return 10
			}),
			"did not settle",
		},
	}
	for _, tt := range tests {
		_, err := Estimate(tt.b, tt.s, tt.p)
		if err == nil || !strings.HasPrefix(err.Error(), "scenario: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func checkMetrics(t *testing.T, what string, got, want Metrics) {
	t.Helper()
	g, w := fields(got), fields(want)
	for name := range w {
		if !near(g[name], w[name]) {
			t.Errorf("%s %s = %v, want %v", what, name, g[name], w[name])
		}
	}
}

func fields(m Metrics) map[string]float64 {
	return map[string]float64{
		"open_orders": m.OpenOrders, "available_couriers": m.AvailableCouriers,
		"orders_per_minute": m.OrdersPerMinute, "pressure": m.Pressure,
		"demand_per_courier": m.DemandPerCourier, "avg_delivery_minutes": m.AvgDeliveryMinutes,
		"breaches_per_minute": m.BreachesPerMinute, "typical_eta_minutes": m.TypicalETAMinutes,
	}
}

func sub(a, b Metrics) Metrics {
	return Metrics{
		OpenOrders: a.OpenOrders - b.OpenOrders, AvailableCouriers: a.AvailableCouriers - b.AvailableCouriers,
		OrdersPerMinute: a.OrdersPerMinute - b.OrdersPerMinute, Pressure: math.Round((a.Pressure-b.Pressure)*10) / 10,
		DemandPerCourier: a.DemandPerCourier - b.DemandPerCourier, AvgDeliveryMinutes: a.AvgDeliveryMinutes - b.AvgDeliveryMinutes,
		BreachesPerMinute: a.BreachesPerMinute - b.BreachesPerMinute, TypicalETAMinutes: a.TypicalETAMinutes - b.TypicalETAMinutes,
	}
}
