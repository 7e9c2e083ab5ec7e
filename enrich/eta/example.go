package eta

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Example is one delivered order, as the model learns from it.
type Example struct {
	// Vector is the order's feature vector at placement, in the order of the feature
	// names given to Fit (enrich/features' Names and Vector).
	Vector []float64
	// CityID is the order's city (orders.city_id).
	CityID int32
	// PlacedAt is when the order was placed. It orders the time split and gives the hour
	// of the per-city-hour baseline (local time, see Tunis).
	PlacedAt time.Time
	// Minutes is the actual delivery time, delivered_at − placed_at, in minutes.
	Minutes float64
}

// Tunis is Africa/Tunis local time: UTC+1 all year (Tunisia has no daylight saving time).
// The per-city-hour baseline uses its hour of day.
var Tunis = time.FixedZone("CET", 3600)

// DefaultTestShare is SPEC §5's share of examples kept for the test split: the newest 20 %.
const DefaultTestShare = 0.2

// Split is the time split of SPEC §5: it sorts the examples by placement time and returns
// the older ones for training and the newest round(testShare × n) for testing (testShare
// is clamped to [0, 1]). Examples placed at the same instant are ordered by city, minutes
// and vector, so the split does not depend on the order of the input, which is not
// modified. Both results are in that order, oldest first.
func Split(examples []Example, testShare float64) (train, test []Example) {
	sorted := slices.Clone(examples)
	slices.SortFunc(sorted, compareExamples)
	share := testShare
	switch {
	case !(share > 0): // also NaN
		share = 0
	case share > 1:
		share = 1
	}
	nTest := int(math.Round(share * float64(len(sorted))))
	cut := len(sorted) - nTest
	return sorted[:cut:cut], sorted[cut:]
}

// compareExamples is the canonical total order of examples: placement time, then city,
// minutes and the vector element by element.
func compareExamples(a, b Example) int {
	if c := a.PlacedAt.Compare(b.PlacedAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.CityID, b.CityID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Minutes, b.Minutes); c != 0 {
		return c
	}
	return slices.Compare(a.Vector, b.Vector)
}
