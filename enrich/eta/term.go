package eta

import "fmt"

// Op is how a derived term combines its two features.
type Op string

// The operations of a Term.
const (
	Mul Op = "mul" // A × B
	Div Op = "div" // A / B, and 0 where B is 0
)

// Term is a derived input of the model, computed from two features of the vector. It is
// stored by feature name in the artefact, so a loaded model computes it the same way.
type Term struct {
	Op Op     `json:"op"`
	A  string `json:"a"`
	B  string `json:"b"`
}

// String is the term as a formula, e.g. "distance_km*is_rush_hour".
func (t Term) String() string {
	sym := "*"
	if t.Op == Div {
		sym = "/"
	}
	return t.A + sym + t.B
}

// boundTerm is a Term with its features resolved to vector indices.
type boundTerm struct {
	op   Op
	a, b int
}

func (t boundTerm) eval(x []float64) float64 {
	if t.op == Mul {
		return x[t.a] * x[t.b]
	}
	if x[t.b] == 0 {
		return 0
	}
	return x[t.a] / x[t.b]
}

// bindTerms resolves the terms' feature names against names.
func bindTerms(names []string, terms []Term) ([]boundTerm, error) {
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	bound := make([]boundTerm, len(terms))
	for i, t := range terms {
		if t.Op != Mul && t.Op != Div {
			return nil, fmt.Errorf("term %d: unknown op %q", i, t.Op)
		}
		a, okA := index[t.A]
		b, okB := index[t.B]
		if !okA || !okB {
			return nil, fmt.Errorf("term %s: unknown feature", t)
		}
		bound[i] = boundTerm{op: t.Op, a: a, b: b}
	}
	return bound, nil
}

// Names of the features that DefaultConfig builds derived terms from, as enrich/features
// names them (SPEC §4.2).
const (
	DistanceFeature    = "distance_km"                 // haversine restaurant → drop-off
	PrepFeature        = "restaurant_avg_prep_minutes" // the restaurant's live average preparation time
	PressureFeature    = "city_pressure"               // the city's pressure at placement (SPEC §4.7)
	SpeedFactorFeature = "courier_speed_factor"        // the courier's personal speed factor
)

// DefaultLambda is the ridge penalty of DefaultConfig. The columns are standardised, so
// it is a fraction of each column's variance: large enough to make collinear one-hot
// columns solvable, small enough not to bias a fit on thousands of orders.
const DefaultLambda = 1e-4

// Config chooses what Fit fits.
type Config struct {
	// Lambda is the ridge penalty: Fit minimises the mean squared error plus Lambda times
	// the sum of the squared coefficients of the standardised columns (the intercept is
	// not penalised). It must be positive.
	Lambda float64
	// Terms are the derived inputs added to the features.
	Terms []Term
}

// DefaultConfig is the configuration the package comment explains, for a vector with
// these feature names: DefaultLambda and the derived terms
//
//	distance_km × f                     per-km time factors: vehicle, weather, traffic…
//	distance_km / courier_speed_factor  inverse speed
//	restaurant_avg_prep_minutes × f     preparation factors: order size, rush hour…
//	city_pressure × f                   waiting for a courier grows faster than pressure
//
// for every feature f (the key itself included, for its square), each pair once: f
// ranges over the features other than the keys before it in this list. A term whose
// features are not among names is left out, so the caller should check the model's Terms
// when the feature set changes.
func DefaultConfig(names []string) Config {
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	var terms []Term
	done := map[string]bool{} // keys whose products are already in terms
	interact := func(key string) {
		if !has[key] {
			return
		}
		for _, n := range names {
			if !done[n] {
				terms = append(terms, Term{Op: Mul, A: key, B: n})
			}
		}
		done[key] = true
	}
	interact(DistanceFeature)
	if has[DistanceFeature] && has[SpeedFactorFeature] {
		terms = append(terms, Term{Op: Div, A: DistanceFeature, B: SpeedFactorFeature})
	}
	interact(PrepFeature)
	interact(PressureFeature)
	return Config{Lambda: DefaultLambda, Terms: terms}
}
