package eta

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Metrics summarise the absolute errors |predicted − actual| in minutes of a predictor on
// a set of examples. P50 and P90 are empirical quantiles: the smallest error that at
// least 50 % (90 %) of the errors do not exceed.
type Metrics struct {
	N   int     `json:"n"`
	MAE float64 `json:"mae"`
	P50 float64 `json:"p50_abs_error"`
	P90 float64 `json:"p90_abs_error"`
}

// Measure computes the Metrics of predict over the examples; all are NaN when there are
// none.
func Measure(examples []Example, predict func(Example) float64) Metrics {
	if len(examples) == 0 {
		return Metrics{MAE: math.NaN(), P50: math.NaN(), P90: math.NaN()}
	}
	errs := make([]float64, len(examples))
	for i, e := range examples {
		errs[i] = math.Abs(predict(e) - e.Minutes)
	}
	slices.Sort(errs)
	return Metrics{
		N:   len(errs),
		MAE: stat.Mean(errs, nil),
		P50: stat.Quantile(0.5, stat.Empirical, errs, nil),
		P90: stat.Quantile(0.9, stat.Empirical, errs, nil),
	}
}

// Report is SPEC §5's evaluation on the test split: the model and both baselines.
type Report struct {
	Model        Metrics `json:"model"`
	GlobalMean   Metrics `json:"baseline_global_mean"`
	CityHourMean Metrics `json:"baseline_city_hour_mean"`
}

// Evaluate measures the model and the baselines on the test examples.
func Evaluate(m *Model, b *Baselines, test []Example) Report {
	return Report{
		Model:        Measure(test, func(e Example) float64 { return m.Predict(e.Vector) }),
		GlobalMean:   Measure(test, func(Example) float64 { return b.Global }),
		CityHourMean: Measure(test, func(e Example) float64 { return b.CityHour(e.CityID, e.PlacedAt) }),
	}
}
