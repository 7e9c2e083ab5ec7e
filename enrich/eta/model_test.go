package eta

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// fitSynthetic fits the default model on n synthetic orders and returns it with the test split.
func fitSynthetic(t testing.TB, n int) (*Model, []Example) {
	t.Helper()
	examples, _ := synthesize(4, n)
	train, test := Split(examples, DefaultTestShare)
	m, err := Fit(synthNames(), train, DefaultConfig(synthNames()))
	if err != nil {
		t.Fatal(err)
	}
	return m, test
}

func TestRoundTrip(t *testing.T) {
	m, test := fitSynthetic(t, 3000)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(data, synthNames())
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range test {
		if got, want := loaded.Predict(e.Vector), m.Predict(e.Vector); got != want {
			t.Fatalf("test example %d: loaded model predicts %v, fitted %v", i, got, want)
		}
	}
	again, err := json.Marshal(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("re-serialised artefact differs:\n%s\n%s", again, data)
	}
	if !slices.Equal(loaded.Names(), synthNames()) || !slices.Equal(loaded.Terms(), m.Terms()) {
		t.Errorf("loaded names or terms differ")
	}
}

// TestDeterminism fits the same examples twice, and once in another order, and wants
// the same artefact bytes every time.
func TestDeterminism(t *testing.T) {
	examples, _ := synthesize(5, 3000)
	shuffled := slices.Clone(examples)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	names := synthNames()
	var first []byte
	for i, train := range [][]Example{examples, examples, shuffled} {
		m, err := Fit(names, train, DefaultConfig(names))
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Errorf("fit %d: artefact differs from the first fit's", i)
		}
	}
}

func TestLoadRejectsFeatureMismatch(t *testing.T) {
	m, _ := fitSynthetic(t, 500)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	names := synthNames()
	swapped := slices.Clone(names)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	renamed := slices.Clone(names)
	renamed[3] = "is_weekend_local"
	tests := []struct {
		name  string
		names []string
		want  string
	}{
		{"reordered", swapped, `feature 0 is "distance_km" in the model, "hour_of_day" in the vector`},
		{"renamed", renamed, `feature 3 is "is_weekend" in the model, "is_weekend_local" in the vector`},
		{"missing", names[:len(names)-1], "the model has 27 features, the vector 26"},
		{"extra", append(slices.Clone(names), "courier_rating"), "the model has 27 features, the vector 28"},
		{"none", nil, "the model has 27 features, the vector 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(data, tt.names)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadRejectsBadArtefact(t *testing.T) {
	const valid = `{"format":1,"kind":"ridge","features":["a","b"],"terms":[{"op":"div","a":"a","b":"b"}],
		"means":[0,0,0],"scales":[1,1,1],"coefficients":[1,0,0],"intercept":0,"lambda":1,"floor_minutes":1}`
	if _, err := Load([]byte(valid), []string{"a", "b"}); err != nil {
		t.Fatalf("valid artefact: %v", err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"not JSON", `{"format"`, `{format`, "invalid character"},
		{"newer format", `"format":1`, `"format":2`, "unsupported artefact format 2"},
		{"other kind", `"ridge"`, `"gbt"`, `kind "gbt"`},
		{"missing coefficient", `"coefficients":[1,0,0]`, `"coefficients":[1,0]`, "3 columns but 3 means, 3 scales, 2 coefficients"},
		{"zero scale", `"scales":[1,1,1]`, `"scales":[1,0,1]`, "column b: invalid"},
		{"term on unknown feature", `"op":"div","a":"a"`, `"op":"div","a":"z"`, "z/b: unknown feature"},
		{"negative floor", `"floor_minutes":1`, `"floor_minutes":-1`, "floor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(valid, tt.old, tt.new, 1)
			if bad == valid {
				t.Fatalf("replacement %q not found", tt.old)
			}
			_, err := Load([]byte(bad), []string{"a", "b"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestPredict evaluates a hand-written artefact:
// 10 + 2·(a − 1)/0.5 − 1·(b − 3) + 3·(a/b − 0) = 4a − b + 3a/b + 9, at least 1.
func TestPredict(t *testing.T) {
	const art = `{"format":1,"kind":"ridge","features":["a","b"],"terms":[{"op":"div","a":"a","b":"b"}],
		"means":[1,3,0],"scales":[0.5,1,1],"coefficients":[2,-1,3],"intercept":10,"lambda":1,"floor_minutes":1}`
	m, err := Load([]byte(art), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		{"plain", []float64{2, 4}, 8 - 4 + 1.5 + 9},
		{"division by zero gives a zero term", []float64{2, 0}, 8 + 9},
		{"negative clamps to the floor", []float64{-10, 0}, 1},
		{"NaN gives the floor", []float64{math.NaN(), 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Predict(tt.x); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Predict(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
}

func TestPredictPanicsOnWrongLength(t *testing.T) {
	m, _ := fitSynthetic(t, 500)
	defer func() {
		if recover() == nil {
			t.Error("Predict of a short vector did not panic")
		}
	}()
	m.Predict([]float64{1, 2})
}

func TestPredictDoesNotAllocate(t *testing.T) {
	m, test := fitSynthetic(t, 500)
	x := test[0].Vector
	if n := testing.AllocsPerRun(100, func() { m.Predict(x) }); n != 0 {
		t.Errorf("Predict allocates %v times per call", n)
	}
}

func BenchmarkPredict(b *testing.B) {
	m, test := fitSynthetic(b, 2000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Predict(test[i%len(test)].Vector)
	}
}
