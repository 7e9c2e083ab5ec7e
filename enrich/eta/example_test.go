package eta_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/flavortrend/flavortrend/enrich/eta"
)

// The train command's and the enricher's use of the package: split, fit, evaluate,
// serialise; then load and predict.
func Example() {
	// Delivered orders: in the real command, their feature vectors and times come from
	// ClickHouse. Here a ride of 4 min per km plus the restaurant's preparation time.
	names := []string{eta.DistanceFeature, eta.PrepFeature}
	rng := rand.New(rand.NewPCG(1, 1))
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, eta.Tunis)
	var examples []eta.Example
	for i := range 1000 {
		km, prep := 0.5+5*rng.Float64(), 10+15*rng.Float64()
		examples = append(examples, eta.Example{
			Vector:   []float64{km, prep},
			CityID:   int32(1 + i%3),
			PlacedAt: start.Add(time.Duration(i) * 7 * time.Minute),
			Minutes:  3 + 4*km + prep + rng.NormFloat64(),
		})
	}

	train, test := eta.Split(examples, eta.DefaultTestShare)
	model, err := eta.Fit(names, train, eta.DefaultConfig(names))
	if err != nil {
		panic(err)
	}
	baselines, err := eta.FitBaselines(train)
	if err != nil {
		panic(err)
	}
	report := eta.Evaluate(model, baselines, test)
	fmt.Printf("test orders: %d\n", report.Model.N)
	fmt.Printf("model MAE below 0.75 × city-hour MAE: %v\n", report.Model.MAE <= 0.75*report.CityHourMean.MAE)
	artefact, err := json.Marshal(model)
	if err != nil {
		panic(err)
	}

	// The enricher, with the vector layout of its own feature code.
	served, err := eta.Load(artefact, names)
	if err != nil {
		panic(err)
	}
	fmt.Printf("3 km, 15 min kitchen: %.0f min\n", served.Predict([]float64{3, 15}))
	_, err = eta.Load(artefact, []string{eta.PrepFeature, eta.DistanceFeature})
	fmt.Println(err)
	// Output:
	// test orders: 200
	// model MAE below 0.75 × city-hour MAE: true
	// 3 km, 15 min kitchen: 30 min
	// eta: load: feature mismatch: feature 0 is "distance_km" in the model, "restaurant_avg_prep_minutes" in the vector
}
