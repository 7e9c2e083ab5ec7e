package eta

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Floor is the smallest prediction, in minutes: no delivery takes less than a minute,
// and a positive prediction keeps SPEC §4.4's overrun_ratio = actual / predicted finite.
const Floor = 1.0

// artefactFormat is the version of the artefact's JSON layout.
const artefactFormat = 1

// artefact is the serialised model: everything needed to predict, by name, so that any
// version of this package can load it. Columns are the features, in order, then the
// terms; a column's standardised value is (value − mean) / scale, and the prediction is
// intercept + Σ coefficient × standardised value, at least floor_minutes.
type artefact struct {
	Format       int       `json:"format"`
	Kind         string    `json:"kind"`
	Features     []string  `json:"features"`
	Terms        []Term    `json:"terms"`
	Means        []float64 `json:"means"`
	Scales       []float64 `json:"scales"`
	Coefficients []float64 `json:"coefficients"`
	Intercept    float64   `json:"intercept"`
	Lambda       float64   `json:"lambda"`
	FloorMinutes float64   `json:"floor_minutes"`
}

const kindRidge = "ridge"

// Model is a fitted ETA model. It is safe for concurrent use.
type Model struct {
	art artefact

	// The artefact folded for Predict: prediction = bias + Σ w·x + Σ weight·term(x), with the
	// products and the ratios apart so that the loops do not branch on the operation.
	bias float64
	w    []float64 // per feature
	muls []weightedTerm
	divs []weightedTerm
}

// newModel checks an artefact and prepares it for Predict. Fit and Load both build
// their models here, so a loaded model predicts exactly as the fitted one did.
func newModel(a artefact) (*Model, error) {
	if a.Format != artefactFormat || a.Kind != kindRidge {
		return nil, fmt.Errorf("unsupported artefact format %d kind %q", a.Format, a.Kind)
	}
	if len(a.Features) == 0 {
		return nil, errors.New("no features")
	}
	if i := firstDuplicate(a.Features); i >= 0 {
		return nil, fmt.Errorf("duplicate feature %q", a.Features[i])
	}
	terms, err := bindTerms(a.Features, a.Terms)
	if err != nil {
		return nil, err
	}
	p := len(a.Features) + len(a.Terms)
	if len(a.Means) != p || len(a.Scales) != p || len(a.Coefficients) != p {
		return nil, fmt.Errorf("%d columns but %d means, %d scales, %d coefficients",
			p, len(a.Means), len(a.Scales), len(a.Coefficients))
	}
	if !finite(a.Intercept) || !finite(a.FloorMinutes) || a.FloorMinutes < 0 {
		return nil, errors.New("intercept or floor not a valid number")
	}
	m := &Model{art: a, bias: a.Intercept, w: make([]float64, len(a.Features))}
	for j := range p {
		mean, scale, coef := a.Means[j], a.Scales[j], a.Coefficients[j]
		if !finite(mean) || !finite(coef) || !finite(scale) || scale <= 0 {
			return nil, fmt.Errorf("column %s: invalid mean %v, scale %v or coefficient %v",
				columnName(a, j), mean, scale, coef)
		}
		k := coef / scale
		m.bias -= k * mean
		switch {
		case j < len(m.w):
			m.w[j] = k
		case terms[j-len(m.w)].op == Mul:
			m.muls = append(m.muls, weightedTerm{terms[j-len(m.w)], k})
		default:
			m.divs = append(m.divs, weightedTerm{terms[j-len(m.w)], k})
		}
	}
	return m, nil
}

// Load reads an artefact written by MarshalJSON. names are the feature names of the
// vectors the caller will pass to Predict (enrich/features' Names): a model trained on
// other features, or on the same ones in another order, is rejected.
func Load(data []byte, names []string) (*Model, error) {
	var a artefact
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("eta: load: %w", err)
	}
	if !slices.Equal(a.Features, names) {
		return nil, fmt.Errorf("eta: load: feature mismatch: %s", mismatch(a.Features, names))
	}
	m, err := newModel(a)
	if err != nil {
		return nil, fmt.Errorf("eta: load: %w", err)
	}
	return m, nil
}

// MarshalJSON writes the model's artefact. The bytes depend only on the fitted numbers,
// so fitting the same examples twice gives the same bytes.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(m.art)
}

// Names are the feature names the model expects, in vector order.
func (m *Model) Names() []string { return slices.Clone(m.art.Features) }

// Terms are the model's derived terms.
func (m *Model) Terms() []Term { return slices.Clone(m.art.Terms) }

// Predict is the predicted delivery time in minutes of an order with feature vector x
// (in the order of Names), at least the artefact's floor (Floor for a fitted model). A
// NaN prediction, from a NaN feature, also gives the floor. Predict does not allocate;
// it panics if len(x) differs from the number of features, like an index out of range.
func (m *Model) Predict(x []float64) float64 {
	if len(x) != len(m.w) {
		panic(fmt.Sprintf("eta: Predict: vector of %d features, model has %d", len(x), len(m.w)))
	}
	y := m.bias
	for j, w := range m.w {
		y += w * x[j]
	}
	for _, t := range m.muls {
		y += t.weight * x[t.a] * x[t.b]
	}
	for _, t := range m.divs {
		if d := x[t.b]; d != 0 {
			y += t.weight * x[t.a] / d
		}
	}
	if !(y >= m.art.FloorMinutes) {
		return m.art.FloorMinutes
	}
	return y
}

// weightedTerm is a derived term with its coefficient on the raw (unstandardised) value.
type weightedTerm struct {
	boundTerm
	weight float64
}

func columnName(a artefact, j int) string {
	if j < len(a.Features) {
		return a.Features[j]
	}
	return a.Terms[j-len(a.Features)].String()
}

// mismatch describes the first difference between the model's feature names and the
// caller's.
func mismatch(model, caller []string) string {
	for i := range min(len(model), len(caller)) {
		if model[i] != caller[i] {
			return fmt.Sprintf("feature %d is %q in the model, %q in the vector", i, model[i], caller[i])
		}
	}
	return fmt.Sprintf("the model has %d features, the vector %d", len(model), len(caller))
}

func firstDuplicate(names []string) int {
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if seen[n] {
			return i
		}
		seen[n] = true
	}
	return -1
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
