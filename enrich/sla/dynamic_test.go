package sla

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDynamic(t *testing.T) {
	tests := []struct {
		name              string
		predicted, actual float64
		violation         bool
		overrun, ratio    float64
	}{
		{"ratio 1.4 but overrun 4 < 5", 10, 14, false, 4, 1.4},
		{"overrun 5 and ratio 1.5", 10, 15, true, 5, 1.5},
		{"overrun 9 but ratio 1.225", 40, 49, false, 9, 1.225},
		{"ratio exactly 1.25 is not >", 40, 50, false, 10, 1.25},
		{"ratio 1.2625 and overrun 10.5", 40, 50.5, true, 10.5, 1.2625},
		{"on time", 30, 28, false, -2, 28.0 / 30},
		{"exactly as predicted", 25, 25, false, 0, 1},
		{"20 → 25: overrun 5 but ratio exactly 1.25", 20, 25, false, 5, 1.25},
		{"4 → 9: ratio 2.25, overrun exactly 5", 4, 9, true, 5, 2.25},
		{"instant delivery", 12, 0, false, -12, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Dynamic(tt.predicted, tt.actual)
			if err != nil {
				t.Fatal(err)
			}
			if o.Violation != tt.violation {
				t.Errorf("violation = %v, want %v", o.Violation, tt.violation)
			}
			if !near(o.OverrunMinutes, tt.overrun) || !near(o.OverrunRatio, tt.ratio) ||
				!near(o.AbsErrorMinutes, math.Abs(tt.overrun)) {
				t.Errorf("overrun %v ratio %v abs %v; want %v %v %v",
					o.OverrunMinutes, o.OverrunRatio, o.AbsErrorMinutes, tt.overrun, tt.ratio, math.Abs(tt.overrun))
			}
			if o.PredictedMinutes != tt.predicted || o.ActualMinutes != tt.actual {
				t.Errorf("inputs not carried: %+v", o)
			}
		})
	}
}

// TestDynamicFloatingPoint pins the tolerance: 8 min 12 s from a duration minus a
// prediction of 3.2 min is 4.999999999999999 in float64, and must still count as 5.
func TestDynamicFloatingPoint(t *testing.T) {
	actual := (8*time.Minute + 12*time.Second).Minutes()
	if actual-3.2 >= 5 {
		t.Fatalf("precondition: 8.2 − 3.2 = %v in float64, the case no longer tests the tolerance", actual-3.2)
	}
	o, err := Dynamic(3.2, actual)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Violation {
		t.Errorf("8.2 − 3.2 min missed the 5-minute floor: %+v", o)
	}
}

func TestDynamicRejects(t *testing.T) {
	for _, tt := range []struct{ predicted, actual float64 }{
		{0, 10}, {-5, 10}, {math.NaN(), 10}, {math.Inf(1), 10},
		{10, -1}, {10, math.NaN()}, {10, math.Inf(1)},
	} {
		if _, err := Dynamic(tt.predicted, tt.actual); err == nil || !strings.HasPrefix(err.Error(), "sla: ") {
			t.Errorf("Dynamic(%v, %v) = %v, want an sla: error", tt.predicted, tt.actual, err)
		}
	}
}

func TestDynamicViolationJSON(t *testing.T) {
	o, err := Dynamic(40, 50.5)
	if err != nil {
		t.Fatal(err)
	}
	v := DynamicViolation{OrderID: 81234, CityID: 3, ModelVersion: "v7", PlacedAt: placed,
		DeliveredAt: after(50*time.Minute + 30*time.Second), Overrun: o}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"order_id":81234,"city_id":3,"model_version":"v7","placed_at":"2025-03-14T11:30:00Z",` +
		`"delivered_at":"2025-03-14T12:20:30Z","predicted_minutes":40,"actual_minutes":50.5,` +
		`"overrun_minutes":10.5,"overrun_ratio":1.2625,"abs_error_minutes":10.5}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}
