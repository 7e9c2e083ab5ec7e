package sentiment

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

// t0 is 11:00 local time (UTC+1) on a Friday.
var t0 = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

func at(minutes, seconds int) time.Time {
	return t0.Add(time.Duration(minutes)*time.Minute + time.Duration(seconds)*time.Second)
}

type review struct {
	kind      EntityKind
	id        int32
	created   time.Time
	rating    int
	sentiment string
}

func mustAdd(t *testing.T, w *Windows, rs ...review) {
	t.Helper()
	for _, r := range rs {
		if err := w.Add(r.kind, r.id, r.created, r.rating, r.sentiment); err != nil {
			t.Fatalf("Add(%+v): %v", r, err)
		}
	}
}

func TestWindowBoundaries(t *testing.T) {
	w := New(DefaultLateness)
	mustAdd(t, w,
		review{Restaurant, 7, at(0, 0), 5, Positive},                              // first instant of [10:00, 10:05)
		review{Restaurant, 7, at(4, 59).Add(999 * time.Millisecond), 4, Positive}, // last instant
		review{Restaurant, 7, at(2, 0), 2, Negative},
		review{Restaurant, 7, at(5, 0), 3, Neutral}, // exactly the end: next window
		review{Courier, 7, at(1, 0), 1, Negative},   // same id, other kind: its own window
	)
	// [10:00, 10:05) closes when its end + 2 min ≤ watermark, at 10:07.
	if got := w.Close(at(6, 59)); len(got) != 0 {
		t.Fatalf("Close(10:06:59) = %+v, want nothing", got)
	}
	got := w.Close(at(7, 0))
	want := []Window{
		{EntityKind: Courier, EntityID: 7, Start: at(0, 0), End: at(5, 0), Reviews: 1, AvgRating: 1, Negative: 1},
		{EntityKind: Restaurant, EntityID: 7, Start: at(0, 0), End: at(5, 0), Reviews: 3, AvgRating: 11.0 / 3, Positive: 2, Negative: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Close(10:07) =\n%+v\nwant\n%+v", got, want)
	}
	if got := w.Close(at(7, 0)); len(got) != 0 {
		t.Fatalf("second Close(10:07) = %+v, want nothing: each window once", got)
	}
	got = w.Close(at(12, 0))
	want = []Window{{EntityKind: Restaurant, EntityID: 7, Start: at(5, 0), End: at(10, 0), Reviews: 1, AvgRating: 3, Neutral: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Close(10:12) = %+v, want %+v", got, want)
	}
}

func TestLateReviews(t *testing.T) {
	tests := []struct {
		name      string
		watermark time.Time
		created   time.Time
		late      bool
	}{
		{"within lateness", at(6, 59), at(4, 59), false},
		// 2 min 29 s behind the watermark, but its window [10:00, 10:05) is still open.
		{"window still open", at(6, 59), at(4, 30), false},
		{"window emitted", at(7, 0), at(4, 59), true},
		{"exactly the end after the window is emitted", at(7, 0), at(5, 0), false},
		{"long ago", at(60, 0), at(30, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(DefaultLateness)
			w.Close(tt.watermark)
			err := w.Add(Restaurant, 1, tt.created, 4, Positive)
			if got := errors.Is(err, ErrLate); got != tt.late {
				t.Fatalf("Add after Close(%s): err = %v, late = %v, want %v", tt.watermark.Format(time.TimeOnly), err, got, tt.late)
			}
		})
	}
}

func TestWatermarkNeverGoesBack(t *testing.T) {
	w := New(DefaultLateness)
	w.Close(at(20, 0))
	w.Close(at(0, 0))
	if err := w.Add(Courier, 3, at(10, 0), 5, Positive); !errors.Is(err, ErrLate) {
		t.Fatalf("Add at 10:10 after Close(10:20) then Close(10:00) = %v, want ErrLate", err)
	}
}

func TestZeroLateness(t *testing.T) {
	w := New(0)
	mustAdd(t, w, review{Courier, 3, at(4, 0), 5, Positive})
	if got := w.Close(at(5, 0)); len(got) != 1 {
		t.Fatalf("Close at the window end with no lateness = %+v, want the window", got)
	}
}

func TestInvalidReviews(t *testing.T) {
	tests := []review{
		{"customer", 1, t0, 4, Positive},
		{Restaurant, 1, t0, 0, Positive},
		{Restaurant, 1, t0, 6, Positive},
		{Restaurant, 1, t0, 4, "angry"},
	}
	for _, r := range tests {
		w := New(DefaultLateness)
		err := w.Add(r.kind, r.id, r.created, r.rating, r.sentiment)
		if err == nil || errors.Is(err, ErrLate) {
			t.Errorf("Add(%+v) = %v, want a validation error", r, err)
		}
	}
}

func TestCheckpointContinuesIdentically(t *testing.T) {
	first := []review{
		{Restaurant, 2, at(1, 0), 5, Positive},
		{Restaurant, 1, at(3, 0), 4, Positive},
		{Courier, 9, at(4, 0), 2, Negative},
		{Restaurant, 1, at(6, 0), 3, Neutral},
	}
	rest := []review{
		{Restaurant, 1, at(4, 30), 1, Negative}, // late but its window is open
		{Courier, 9, at(8, 0), 5, Positive},
	}
	live := New(DefaultLateness)
	mustAdd(t, live, first...)
	live.Close(at(5, 30))

	data, err := json.Marshal(live)
	if err != nil {
		t.Fatal(err)
	}
	restored := New(time.Hour) // overwritten by the checkpoint
	if err := json.Unmarshal(data, restored); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(restored)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("restored state marshals to\n%s\nwant\n%s", again, data)
	}

	for _, w := range []*Windows{live, restored} {
		mustAdd(t, w, rest...)
		if err := w.Add(Restaurant, 1, at(0, 0), 5, Positive); err != nil {
			t.Fatalf("Add in an open window: %v", err)
		}
	}
	for _, wm := range []time.Time{at(7, 0), at(9, 0), at(20, 0)} {
		a, b := live.Close(wm), restored.Close(wm)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("Close(%s): live %+v, restored %+v", wm.Format(time.TimeOnly), a, b)
		}
		if wm == at(7, 0) {
			// courier 9, restaurant 1, restaurant 2; restaurant 1 in [10:00, 10:05)
			// has 4, 1 and 5 stars → 10/3.
			if len(a) != 3 || a[1].EntityID != 1 || a[1].Reviews != 3 || math.Abs(a[1].AvgRating-10.0/3) > 1e-12 {
				t.Fatalf("Close(10:07) = %+v", a)
			}
		}
	}
}

func TestRestoreRejectsBadState(t *testing.T) {
	tests := []string{
		`{`,
		`{"lateness":"soon","watermark":"2025-03-14T10:00:00Z","open":[]}`,
		`{"lateness":"2m0s","watermark":"2025-03-14T10:00:00Z","open":[{"entity_kind":"courier","entity_id":1,"window_start":"2025-03-14T10:00:00Z","reviews":0}]}`,
		`{"lateness":"2m0s","watermark":"2025-03-14T10:00:00Z","open":[` +
			`{"entity_kind":"courier","entity_id":1,"window_start":"2025-03-14T10:00:00Z","reviews":1,"rating_sum":4,"positive":1},` +
			`{"entity_kind":"courier","entity_id":1,"window_start":"2025-03-14T11:00:00+01:00","reviews":1,"rating_sum":4,"positive":1}]}`,
	}
	for _, data := range tests {
		var w Windows
		if err := json.Unmarshal([]byte(data), &w); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", data)
		}
	}
}
