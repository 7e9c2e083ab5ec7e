package eta

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFitBeatsBaselines fits the default model on simulator-shaped data and holds it to
// SPEC §5's bar with margin: test MAE at most 0.75 × the per-city-hour baseline's.
func TestFitBeatsBaselines(t *testing.T) {
	names := synthNames()
	for _, seed := range []uint64{1, 2} {
		examples, orders := synthesize(seed, 20000)
		train, test := Split(examples, DefaultTestShare)
		m, err := Fit(names, train, DefaultConfig(names))
		if err != nil {
			t.Fatal(err)
		}
		b, err := FitBaselines(train)
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(m, b, test)
		t.Logf("seed %d, %d train, %d test, %d terms", seed, len(train), len(test), len(m.Terms()))
		t.Logf("  model            MAE %5.2f  p50 %5.2f  p90 %5.2f", r.Model.MAE, r.Model.P50, r.Model.P90)
		t.Logf("  global mean      MAE %5.2f  p50 %5.2f  p90 %5.2f", r.GlobalMean.MAE, r.GlobalMean.P50, r.GlobalMean.P90)
		t.Logf("  city-hour mean   MAE %5.2f  p50 %5.2f  p90 %5.2f", r.CityHourMean.MAE, r.CityHourMean.P50, r.CityHourMean.P90)
		t.Logf("  oracle (median of the true distribution) MAE %5.2f", oracleMAE(examples, orders, test))
		if r.Model.N != len(test) || r.CityHourMean.N != len(test) {
			t.Errorf("seed %d: measured %d and %d examples, want %d", seed, r.Model.N, r.CityHourMean.N, len(test))
		}
		if limit := 0.75 * r.CityHourMean.MAE; !(r.Model.MAE <= limit) {
			t.Errorf("seed %d: model MAE %.3f > 0.75 × city-hour baseline MAE = %.3f", seed, r.Model.MAE, limit)
		}
		if !(r.CityHourMean.MAE < r.GlobalMean.MAE) {
			t.Errorf("seed %d: city-hour baseline MAE %.3f not below global mean's %.3f", seed, r.CityHourMean.MAE, r.GlobalMean.MAE)
		}
		if !(r.Model.P90 < r.CityHourMean.P90) {
			t.Errorf("seed %d: model p90 %.3f not below city-hour baseline's %.3f", seed, r.Model.P90, r.CityHourMean.P90)
		}
	}
}

// oracleMAE is the MAE of the best possible prediction from what the features show (the
// median of 301 draws of the hidden causes and the noise): the floor no model can go
// below.
func oracleMAE(examples []Example, orders []synthOrder, test []Example) float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	byTime := map[time.Time]int{}
	for i, e := range examples {
		byTime[e.PlacedAt] = i
	}
	draws := make([]float64, 301)
	var sum float64
	for _, e := range test {
		o := orders[byTime[e.PlacedAt]]
		for k := range draws {
			draws[k] = o.guess(rng)
		}
		slices.Sort(draws)
		sum += math.Abs(draws[len(draws)/2] - e.Minutes)
	}
	return sum / float64(len(test))
}

// TestFitRecoversLinear checks the standardisation and intercept bookkeeping: on
// noiseless linear data with derived terms the fit is exact.
func TestFitRecoversLinear(t *testing.T) {
	names := []string{"a", "b", "c"}
	f := func(a, b, c float64) float64 { return 40 + 2*a - 3*b + 0.5*a*c + 4*a/b }
	rng := rand.New(rand.NewPCG(3, 3))
	var train []Example
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		a, b, c := 10*rng.Float64(), 1+rng.Float64(), float64(rng.IntN(2))
		train = append(train, Example{Vector: []float64{a, b, c}, CityID: 1,
			PlacedAt: t0.Add(time.Duration(i) * time.Minute), Minutes: f(a, b, c)})
	}
	m, err := Fit(names, train, Config{Lambda: 1e-12, Terms: []Term{{Mul, "a", "c"}, {Div, "a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range [][]float64{{1, 1.5, 0}, {9, 1.1, 1}, {0, 2, 1}} {
		if got, want := m.Predict(x), f(x[0], x[1], x[2]); math.Abs(got-want) > 1e-6 {
			t.Errorf("Predict(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestFitRejects(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	good := []Example{{Vector: []float64{1, 2}, PlacedAt: t0, Minutes: 30}}
	names := []string{"a", "b"}
	cfg := Config{Lambda: 1}
	tests := []struct {
		name  string
		names []string
		train []Example
		cfg   Config
		want  string
	}{
		{"no features", nil, good, cfg, "no features"},
		{"duplicate feature", []string{"a", "a"}, good, cfg, `duplicate feature "a"`},
		{"zero lambda", names, good, Config{}, "lambda"},
		{"NaN lambda", names, good, Config{Lambda: math.NaN()}, "lambda"},
		{"no examples", names, nil, cfg, "no training examples"},
		{"short vector", names, []Example{{Vector: []float64{1}, Minutes: 30}}, cfg, "1 values for 2 features"},
		{"NaN feature", names, []Example{{Vector: []float64{1, math.NaN()}, Minutes: 30}}, cfg, "feature b is NaN"},
		{"infinite minutes", names, []Example{{Vector: []float64{1, 2}, Minutes: math.Inf(1)}}, cfg, "minutes"},
		{"unknown term feature", names, good, Config{Lambda: 1, Terms: []Term{{Mul, "a", "z"}}}, "a*z: unknown feature"},
		{"unknown op", names, good, Config{Lambda: 1, Terms: []Term{{"pow", "a", "b"}}}, `unknown op "pow"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(tt.names, tt.train, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fit error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{"no key features", []string{"x", "y"}, nil},
		{"distance only", []string{"x", DistanceFeature},
			[]string{"distance_km*x", "distance_km*distance_km"}},
		{"distance and speed factor", []string{DistanceFeature, SpeedFactorFeature},
			[]string{"distance_km*distance_km", "distance_km*courier_speed_factor", "distance_km/courier_speed_factor"}},
		{"all keys, each pair once", []string{DistanceFeature, PrepFeature, PressureFeature, "x"},
			[]string{
				"distance_km*distance_km", "distance_km*restaurant_avg_prep_minutes", "distance_km*city_pressure", "distance_km*x",
				"restaurant_avg_prep_minutes*restaurant_avg_prep_minutes", "restaurant_avg_prep_minutes*city_pressure", "restaurant_avg_prep_minutes*x",
				"city_pressure*city_pressure", "city_pressure*x",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig(tt.names)
			var got []string
			for _, term := range cfg.Terms {
				got = append(got, term.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("terms = %q, want %q", got, tt.want)
			}
			if cfg.Lambda != DefaultLambda {
				t.Errorf("lambda = %v, want %v", cfg.Lambda, DefaultLambda)
			}
		})
	}
}
