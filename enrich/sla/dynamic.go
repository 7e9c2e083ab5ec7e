package sla

import (
	"fmt"
	"math"
	"time"
)

// The dynamic SLA of SPEC §4.4: "emit a dynamic violation when actual > predicted × 1.25
// and actual − predicted ≥ 5 min".
const (
	DynamicRatio         = 1.25 // actual must exceed predicted × DynamicRatio …
	DynamicFloorMinutes  = 5.0  // … and predicted by at least this many minutes
	dynamicToleranceMins = 1e-9 // 60 ns: see Dynamic
)

// Overrun compares an order's delivery time with the ETA predicted at its placement.
type Overrun struct {
	PredictedMinutes float64 `json:"predicted_minutes"`
	ActualMinutes    float64 `json:"actual_minutes"` // delivered_at − placed_at
	// OverrunMinutes = actual − predicted (negative when early).
	OverrunMinutes float64 `json:"overrun_minutes"`
	// OverrunRatio = actual / predicted: a ratio (1.3 is 30 % late), never a percent.
	OverrunRatio float64 `json:"overrun_ratio"`
	// AbsErrorMinutes = |actual − predicted|, the model-performance error of SPEC §4.4.
	AbsErrorMinutes float64 `json:"abs_error_minutes"`
	// Violation: actual > predicted × 1.25 and actual − predicted ≥ 5.
	Violation bool `json:"-"`
}

// Dynamic applies SPEC §4.4 to an order predicted to take predictedMinutes that took
// actualMinutes:
//
//	violation       = actual > predicted × 1.25  and  actual − predicted ≥ 5
//	overrun_minutes = actual − predicted
//	overrun_ratio   = actual / predicted
//	abs_error       = |actual − predicted|
//
// Both comparisons allow 1e-9 min (60 ns) of floating-point error, far below the
// microsecond precision of the timestamps: without it 8.2 − 3.2, computed from a duration,
// would be 4.999999999999999 and miss the 5-minute floor.
//
// predictedMinutes must be positive and finite (the ratio is undefined otherwise) and
// actualMinutes non-negative and finite; Dynamic returns an error for anything else.
func Dynamic(predictedMinutes, actualMinutes float64) (Overrun, error) {
	if !(predictedMinutes > 0) || math.IsInf(predictedMinutes, 0) {
		return Overrun{}, fmt.Errorf("sla: predicted %v minutes, want a positive finite number", predictedMinutes)
	}
	if !(actualMinutes >= 0) || math.IsInf(actualMinutes, 0) {
		return Overrun{}, fmt.Errorf("sla: actual %v minutes, want a non-negative finite number", actualMinutes)
	}
	over := actualMinutes - predictedMinutes
	return Overrun{
		PredictedMinutes: predictedMinutes,
		ActualMinutes:    actualMinutes,
		OverrunMinutes:   over,
		OverrunRatio:     actualMinutes / predictedMinutes,
		AbsErrorMinutes:  math.Abs(over),
		Violation: actualMinutes > predictedMinutes*DynamicRatio+dynamicToleranceMins &&
			over >= DynamicFloorMinutes-dynamicToleranceMins,
	}, nil
}

// DynamicViolation is a value of topic sla.dynamic_violations (key: the order id). Its
// JSON has the Overrun fields inline: predicted_minutes, actual_minutes,
// overrun_minutes, overrun_ratio and abs_error_minutes.
type DynamicViolation struct {
	OrderID      int64     `json:"order_id"`
	CityID       int32     `json:"city_id"`
	ModelVersion string    `json:"model_version"` // the model that made the prediction
	PlacedAt     time.Time `json:"placed_at"`
	DeliveredAt  time.Time `json:"delivered_at"`
	Overrun
}
