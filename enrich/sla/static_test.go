package sla

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var placed = time.Date(2025, 3, 14, 11, 30, 0, 0, time.UTC)

func after(d time.Duration) time.Time { return placed.Add(d) }

func TestStatic(t *testing.T) {
	tests := []struct {
		name      string
		took      time.Duration
		threshold time.Duration
		breached  bool
		delay     float64
	}{
		{"44 min", 44 * time.Minute, DefaultThreshold, false, -1},
		{"45 min exactly is not a breach (> 45)", 45 * time.Minute, DefaultThreshold, false, 0},
		{"45 min 1 s", 45*time.Minute + time.Second, DefaultThreshold, true, 1.0 / 60},
		{"46 min", 46 * time.Minute, DefaultThreshold, true, 1},
		{"90 min 30 s", 90*time.Minute + 30*time.Second, DefaultThreshold, true, 45.5},
		{"city threshold 30 min, 36 min", 36 * time.Minute, 30 * time.Minute, true, 6},
		{"city threshold 60 min, 50 min", 50 * time.Minute, 60 * time.Minute, false, -10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			breached, delay := Static(placed, after(tt.took), tt.threshold)
			if breached != tt.breached || !near(delay, tt.delay) {
				t.Errorf("Static = %v, %v; want %v, %v", breached, delay, tt.breached, tt.delay)
			}
		})
	}
}

func TestThresholds(t *testing.T) {
	tests := []struct {
		name string
		th   Thresholds
		city int32
		want time.Duration
	}{
		{"zero value", Thresholds{}, 1, 45 * time.Minute},
		{"default", Thresholds{Default: 40 * time.Minute}, 1, 40 * time.Minute},
		{"override", Thresholds{Default: 40 * time.Minute, PerCity: map[int32]time.Duration{3: time.Hour}}, 3, time.Hour},
		{"override of another city", Thresholds{PerCity: map[int32]time.Duration{3: time.Hour}}, 1, 45 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.th.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tt.th.For(tt.city); got != tt.want {
				t.Errorf("For(%d) = %v, want %v", tt.city, got, tt.want)
			}
		})
	}
	for _, bad := range []Thresholds{
		{Default: -time.Minute},
		{PerCity: map[int32]time.Duration{7: 0}},
	} {
		if err := bad.Validate(); err == nil || !strings.HasPrefix(err.Error(), "sla: ") {
			t.Errorf("Validate(%+v) = %v, want an sla: error", bad, err)
		}
	}
}

func TestTracker(t *testing.T) {
	deadline := func(d time.Duration) Event { return Event{DeadlinePassed, after(d)} }
	delivered := func(d time.Duration) Event { return Event{Delivered, after(d)} }
	cancelled := func(d time.Duration) Event { return Event{Cancelled, after(d)} }
	tests := []struct {
		name   string
		events []Event
		want   []Kind // one per event, "" for nothing
		final  Status
	}{
		{"delivered on time, no timer", []Event{delivered(44 * time.Minute)}, []Kind{""}, Closed},
		{"delivered at exactly 45 min", []Event{delivered(45 * time.Minute)}, []Kind{""}, Closed},
		{"delivered at 46 min, no timer: breach", []Event{delivered(46 * time.Minute)}, []Kind{Breach}, EmittedBreach},
		{"at risk once, not again on late delivery",
			[]Event{deadline(45 * time.Minute), deadline(45 * time.Minute), delivered(50 * time.Minute), delivered(50 * time.Minute)},
			[]Kind{AtRisk, "", "", ""}, EmittedAtRisk},
		{"at risk, then cancelled", []Event{deadline(45 * time.Minute), cancelled(60 * time.Minute)}, []Kind{AtRisk, ""}, EmittedAtRisk},
		{"timer fired early, then on time", []Event{deadline(44 * time.Minute), deadline(45 * time.Minute)}, []Kind{"", AtRisk}, EmittedAtRisk},
		{"coarse timer past the deadline", []Event{deadline(47 * time.Minute)}, []Kind{AtRisk}, EmittedAtRisk},
		{"cancelled", []Event{cancelled(10 * time.Minute)}, []Kind{""}, Closed},
		{"cancelled late, no timer", []Event{cancelled(70 * time.Minute)}, []Kind{""}, Closed},
		{"late timer after an on-time delivery", []Event{delivered(40 * time.Minute), deadline(45 * time.Minute)}, []Kind{"", ""}, Closed},
		{"late timer after a cancel", []Event{cancelled(40 * time.Minute), deadline(45 * time.Minute)}, []Kind{"", ""}, Closed},
		{"breach redelivered, then a late timer",
			[]Event{delivered(50 * time.Minute), delivered(50 * time.Minute), deadline(45 * time.Minute)},
			[]Kind{Breach, "", ""}, EmittedBreach},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := Tracker{OrderID: 81234, CityID: 3, PlacedAt: placed, Threshold: DefaultThreshold}
			for i, ev := range tt.events {
				var got Kind // "" when nothing is emitted
				if v, ok := tr.Handle(ev); ok {
					got = v.Kind
				}
				if got != tt.want[i] {
					t.Errorf("event %d (%v at +%v): emitted %q, want %q", i, ev.Kind, ev.At.Sub(placed), got, tt.want[i])
				}
			}
			if tr.Status != tt.final {
				t.Errorf("status %v, want %v", tr.Status, tt.final)
			}
		})
	}
}

func TestTrackerViolations(t *testing.T) {
	tr := Tracker{OrderID: 81234, CityID: 3, PlacedAt: placed, Threshold: 30 * time.Minute}
	v, _ := tr.Handle(Event{DeadlinePassed, after(30 * time.Minute)})
	want := Violation{OrderID: 81234, CityID: 3, Kind: AtRisk, PlacedAt: placed, Deadline: after(30 * time.Minute),
		ObservedAt: after(30 * time.Minute), ThresholdMinutes: 30, ActualMinutes: 30, DelayMinutes: 0}
	if v != want {
		t.Errorf("at risk =\n%+v\nwant\n%+v", v, want)
	}

	tr = Tracker{OrderID: 81235, CityID: 3, PlacedAt: placed, Threshold: DefaultThreshold}
	v, _ = tr.Handle(Event{Delivered, after(52*time.Minute + 30*time.Second)})
	want = Violation{OrderID: 81235, CityID: 3, Kind: Breach, PlacedAt: placed, Deadline: after(45 * time.Minute),
		ObservedAt: after(52*time.Minute + 30*time.Second), ThresholdMinutes: 45, ActualMinutes: 52.5, DelayMinutes: 7.5}
	if v != want {
		t.Errorf("breach =\n%+v\nwant\n%+v", v, want)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"order_id":81235,"city_id":3,"kind":"breach","placed_at":"2025-03-14T11:30:00Z",` +
		`"deadline":"2025-03-14T12:15:00Z","observed_at":"2025-03-14T12:22:30Z",` +
		`"threshold_minutes":45,"actual_minutes":52.5,"delay_minutes":7.5}`
	if string(b) != wantJSON {
		t.Errorf("JSON = %s\nwant   %s", b, wantJSON)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
