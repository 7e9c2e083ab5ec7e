package eta

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	// Ten examples placed an hour apart, given newest first; Minutes = age rank (0 oldest).
	var examples []Example
	for i := 9; i >= 0; i-- {
		examples = append(examples, Example{Vector: []float64{float64(i)}, CityID: int32(i % 3),
			PlacedAt: t0.Add(time.Duration(i) * time.Hour), Minutes: float64(i)})
	}
	input := slices.Clone(examples)
	tests := []struct {
		share     float64
		wantTrain int
	}{
		{DefaultTestShare, 8},
		{0.25, 7}, // 2.5 test examples round up to 3
		{0.35, 6}, // 3.5 round up to 4
		{0, 10},
		{1, 0},
		{-1, 10},
		{2, 0},
		{math.NaN(), 10},
	}
	for _, tt := range tests {
		train, test := Split(examples, tt.share)
		if len(train) != tt.wantTrain || len(train)+len(test) != len(examples) {
			t.Errorf("share %v: %d train, %d test, want %d train of %d", tt.share, len(train), len(test), tt.wantTrain, len(examples))
			continue
		}
		// The test split is exactly the newest examples, and both are oldest first.
		for i, e := range slices.Concat(train, test) {
			if e.Minutes != float64(i) {
				t.Errorf("share %v: position %d holds the example of rank %v", tt.share, i, e.Minutes)
			}
		}
	}
	if !slices.EqualFunc(examples, input, func(a, b Example) bool { return compareExamples(a, b) == 0 }) {
		t.Error("Split modified its input")
	}
}

// TestSplitTies checks that examples placed at the same instant split the same way
// whatever the input order.
func TestSplitTies(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	a := Example{Vector: []float64{1}, CityID: 2, PlacedAt: t0, Minutes: 20}
	b := Example{Vector: []float64{1}, CityID: 1, PlacedAt: t0, Minutes: 30}
	c := Example{Vector: []float64{2}, CityID: 1, PlacedAt: t0, Minutes: 20}
	d := Example{Vector: []float64{1}, CityID: 1, PlacedAt: t0, Minutes: 20}
	old := Example{Vector: []float64{9}, CityID: 9, PlacedAt: t0.Add(-time.Hour), Minutes: 99}
	want := []Example{old, d, c, b, a}
	for _, in := range [][]Example{{a, b, c, d, old}, {old, d, c, b, a}, {c, a, old, d, b}} {
		train, test := Split(in, 0.4)
		if got := slices.Concat(train, test); !slices.EqualFunc(got, want, func(x, y Example) bool { return compareExamples(x, y) == 0 }) {
			t.Errorf("Split(%v) = %v, want %v", in, got, want)
		}
		if len(test) != 2 || test[0].CityID != 1 || test[1].CityID != 2 {
			t.Errorf("test split = %v, want b, a", test)
		}
	}
}
