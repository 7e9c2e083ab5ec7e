package alerts

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// t0 is 11:00 local time (UTC+1) on a Friday.
var t0 = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

// clock is t0 plus minutes (fractions allowed).
func clock(minutes float64) time.Time {
	return t0.Add(time.Duration(minutes * float64(time.Minute)))
}

func newSfax() *Detector { return New(7, "Sfax", DefaultLateness) }

// checkAlert compares the fields of an alert that a test pins.
func checkAlert(t *testing.T, got Alert, kind Kind, state State, sev Severity, raised time.Time, cleared *time.Time) {
	t.Helper()
	if got.Kind != kind || got.State != state || got.Severity != sev || !got.RaisedAt.Equal(raised) || got.CityID != 7 {
		t.Errorf("alert = %s %s %s raised %s (city %d), want %s %s %s raised %s",
			got.Kind, got.State, got.Severity, got.RaisedAt.Format(time.TimeOnly), got.CityID,
			kind, state, sev, raised.Format(time.TimeOnly))
	}
	switch {
	case cleared == nil && got.ClearedAt != nil:
		t.Errorf("cleared_at = %s, want null", got.ClearedAt.Format(time.TimeOnly))
	case cleared != nil && (got.ClearedAt == nil || !got.ClearedAt.Equal(*cleared)):
		t.Errorf("cleared_at = %v, want %s", got.ClearedAt, cleared.Format(time.TimeOnly))
	}
	if want := alertID(kind, 7, raised); got.ID != want {
		t.Errorf("id = %q, want %q", got.ID, want)
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestShortageEpisodeRaisesOnceAndClearsOnce(t *testing.T) {
	d := newSfax()
	values := []float64{60, 80, 86, 78, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60}
	var all []Alert
	for m, v := range values {
		got := d.Pressure(clock(float64(m)), v)
		switch m {
		case 1: // the first hot minute, 10:01–10:02, raises at its end
			if len(got) != 1 {
				t.Fatalf("minute %d: %d alerts, want the raise", m, len(got))
			}
			checkAlert(t, got[0], DriverShortage, Raised, Warning, clock(2), nil)
			if got[0].ID != "driver_shortage-7-20250314T100200.000000Z" || got[0].Title != "Driver shortage in Sfax" ||
				!strings.Contains(got[0].Details, "City pressure 80.0") {
				t.Errorf("raise = %+v", got[0])
			}
		case 11:
			// The last hot minute ends at 10:04; minutes 10:04–10:09 are 5 without a
			// minute ≥ 75, so the episode ends at 10:09, final once the watermark
			// (10:12, the end of minute 11) is more than 2 minutes past it.
			if len(got) != 1 {
				t.Fatalf("minute %d: %d alerts, want the clear", m, len(got))
			}
			checkAlert(t, got[0], DriverShortage, Cleared, Critical, clock(2), ptr(clock(9)))
			if !strings.Contains(got[0].Details, "peak 86.0") {
				t.Errorf("cleared details = %q, want the peak", got[0].Details)
			}
		default:
			if len(got) != 0 {
				t.Fatalf("minute %d: %+v, want nothing", m, got)
			}
		}
		all = append(all, got...)
	}
	if len(all) != 2 {
		t.Fatalf("%d alerts, want one raise and one clear", len(all))
	}
}

func TestShortageFlappingIsOneEpisode(t *testing.T) {
	d := newSfax()
	var all []Alert
	for m := range 31 {
		v := 60.0
		if m <= 10 && m%2 == 0 || m == 25 {
			v = 76 // 76, 70, 76, 70 … until minute 10, then a new shortage at minute 25
		} else if m <= 10 {
			v = 70
		}
		all = append(all, d.Pressure(clock(float64(m)), v)...)
	}
	if len(all) != 3 {
		t.Fatalf("%d alerts, want raise, clear, raise: %+v", len(all), all)
	}
	checkAlert(t, all[0], DriverShortage, Raised, Warning, clock(1), nil)
	checkAlert(t, all[1], DriverShortage, Cleared, Warning, clock(1), ptr(clock(16)))
	checkAlert(t, all[2], DriverShortage, Raised, Warning, clock(26), nil)
	if all[0].ID == all[2].ID {
		t.Errorf("two episodes share the id %q", all[0].ID)
	}
}

func TestShortageGap(t *testing.T) {
	tests := []struct {
		cold     int // cold minutes between two hot ones
		episodes int
	}{{3, 1}, {4, 1}, {5, 2}, {6, 2}}
	for _, tt := range tests {
		d := newSfax()
		var raises int
		for m := 0; m < tt.cold+20; m++ {
			v := 50.0
			if m == 0 || m == tt.cold+1 {
				v = 90
			}
			for _, a := range d.Pressure(clock(float64(m)), v) {
				if a.State == Raised {
					raises++
				}
			}
		}
		if raises != tt.episodes {
			t.Errorf("%d cold minutes between hot ones: %d episodes, want %d", tt.cold, raises, tt.episodes)
		}
	}
}

func TestNextEpisodeWaitsForTheClear(t *testing.T) {
	d := newSfax()
	if got := d.Pressure(clock(0), 80); len(got) != 1 {
		t.Fatalf("first hot minute: %+v", got)
	}
	// No report for minutes 1–5 (the runtime was slow); minute 6 is hot again, after the
	// hold of the first episode (10:01 + 5 min), but 10:06 is not final yet.
	if got := d.Pressure(clock(6), 80); len(got) != 0 {
		t.Fatalf("hot minute after the hold, before it is final: %+v, want nothing yet", got)
	}
	// The waiting signal survives a checkpoint.
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	d = new(Detector)
	if err := json.Unmarshal(data, d); err != nil {
		t.Fatal(err)
	}
	got := d.Advance(clock(8).Add(time.Second))
	if len(got) != 2 {
		t.Fatalf("Advance: %+v, want the clear then the new raise", got)
	}
	checkAlert(t, got[0], DriverShortage, Cleared, Warning, clock(1), ptr(clock(6)))
	checkAlert(t, got[1], DriverShortage, Raised, Warning, clock(7), nil)
}

func TestLateInputs(t *testing.T) {
	// Episode raised by minute 0 (hot at 10:01, would clear at 10:06); the watermark is
	// at 10:07:30, so the horizon is 10:05:30.
	start := func() *Detector {
		d := newSfax()
		d.Pressure(clock(0), 80)
		if got := d.Advance(clock(7.5)); len(got) != 0 {
			t.Fatalf("Advance(10:07:30): %+v, want nothing", got)
		}
		return d
	}

	t.Run("within lateness it still counts", func(t *testing.T) {
		d := start()
		// Minute 5 ends at 10:06, after the horizon: accepted, and it extends the episode.
		if got := d.Pressure(clock(5), 80); len(got) != 0 {
			t.Fatalf("late hot minute: %+v", got)
		}
		if got := d.Advance(clock(8).Add(time.Second)); len(got) != 0 {
			t.Fatalf("episode cleared at 10:06 although minute 5 was hot: %+v", got)
		}
		got := d.Advance(clock(13).Add(time.Second))
		if len(got) != 1 {
			t.Fatalf("Advance(10:13:01): %+v, want the clear", got)
		}
		checkAlert(t, got[0], DriverShortage, Cleared, Warning, clock(1), ptr(clock(11)))
		if d.Dropped() != 0 {
			t.Errorf("Dropped = %d, want 0", d.Dropped())
		}
	})

	t.Run("beyond lateness it is dropped", func(t *testing.T) {
		d := start()
		// Minute 3 ends at 10:04, before the horizon.
		if got := d.Pressure(clock(3), 80); len(got) != 0 {
			t.Fatalf("too-late minute: %+v", got)
		}
		if got := d.Breach(clock(5)); len(got) != 0 {
			t.Fatalf("too-late breach: %+v", got)
		}
		if d.Dropped() != 2 {
			t.Errorf("Dropped = %d, want 2", d.Dropped())
		}
		got := d.Advance(clock(8).Add(time.Second))
		if len(got) != 1 {
			t.Fatalf("Advance(10:08:01): %+v, want the clear", got)
		}
		checkAlert(t, got[0], DriverShortage, Cleared, Warning, clock(1), ptr(clock(6)))
	})
}

func TestSLASpike(t *testing.T) {
	t.Run("two breaches then three", func(t *testing.T) {
		d := newSfax()
		for _, m := range []float64{1, 4} {
			if got := d.Breach(clock(m)); len(got) != 0 {
				t.Fatalf("breach at %v: %+v, want nothing with fewer than 3", m, got)
			}
		}
		got := d.Breach(clock(8))
		if len(got) != 1 {
			t.Fatalf("third breach: %+v, want the raise", got)
		}
		checkAlert(t, got[0], SLASpike, Raised, Warning, clock(8), nil)
		if !strings.Contains(got[0].Details, "3 static SLA breaches in 10 minutes") {
			t.Errorf("details = %q", got[0].Details)
		}
		// The count drops to 2 at 10:11 (the 10:01 breach leaves the window), the hold
		// ends at 10:16, final once the watermark passes 10:18.
		if got := d.Advance(clock(18)); len(got) != 0 {
			t.Fatalf("Advance(10:18): %+v, want nothing yet", got)
		}
		got = d.Advance(clock(18).Add(time.Second))
		if len(got) != 1 {
			t.Fatalf("Advance(10:18:01): %+v, want the clear", got)
		}
		checkAlert(t, got[0], SLASpike, Cleared, Warning, clock(8), ptr(clock(16)))
	})

	t.Run("window excludes its start", func(t *testing.T) {
		d := newSfax()
		var all []Alert
		// At 10:10 the window is (10:00, 10:10]: the 10:00 breach is out.
		for _, m := range []float64{0, 5, 10, 30} {
			all = append(all, d.Breach(clock(m))...)
		}
		if len(all) != 0 {
			t.Fatalf("%+v, want nothing", all)
		}
	})

	t.Run("six breaches are critical", func(t *testing.T) {
		d := newSfax()
		var all []Alert
		for m := range 6 {
			all = append(all, d.Breach(clock(float64(m)))...)
		}
		// The count is ≥ 3 until the 10:03 breach leaves at 10:13; hold to 10:18.
		all = append(all, d.Advance(clock(20).Add(time.Second))...)
		if len(all) != 2 {
			t.Fatalf("%+v, want raise and clear", all)
		}
		checkAlert(t, all[0], SLASpike, Raised, Warning, clock(2), nil)
		checkAlert(t, all[1], SLASpike, Cleared, Critical, clock(2), ptr(clock(18)))
		if !strings.Contains(all[1].Details, "peak 6 breaches") {
			t.Errorf("cleared details = %q", all[1].Details)
		}
	})

	t.Run("a count hovering at 3 is one episode", func(t *testing.T) {
		d := newSfax()
		var all []Alert
		// 10:00, 10:01, 10:02 raise; the count falls to 2 at 10:10 and is back at 3 at
		// 10:10:30, within the hold.
		for _, m := range []float64{0, 1, 2, 10.5} {
			all = append(all, d.Breach(clock(m))...)
		}
		all = append(all, d.Advance(clock(40))...)
		if len(all) != 2 {
			t.Fatalf("%+v, want one raise and one clear", all)
		}
		// The last stretch ≥ 3 is [10:10:30, 10:11) (10:01 leaves at 10:11).
		checkAlert(t, all[1], SLASpike, Cleared, Warning, clock(2), ptr(clock(16)))
	})

	t.Run("late breach within lateness", func(t *testing.T) {
		d := newSfax()
		var all []Alert
		for _, m := range []float64{0, 9} {
			all = append(all, d.Breach(clock(m))...)
		}
		all = append(all, d.Advance(clock(10))...)
		// 10:08 arrives at watermark 10:10: within 2 minutes, and makes three in
		// (10:00, 10:10] at 10:09.
		all = append(all, d.Breach(clock(8))...)
		if len(all) != 1 {
			t.Fatalf("%+v, want the raise", all)
		}
		checkAlert(t, all[0], SLASpike, Raised, Warning, clock(9), nil)
	})
}

func TestPeakStart(t *testing.T) {
	t.Run("rise against the trailing average", func(t *testing.T) {
		d := newSfax()
		counts := map[int]int{}
		for m := range 40 {
			counts[m] = 2
		}
		for m := 40; m <= 45; m++ {
			counts[m] = 4
		}
		for m := 46; m <= 60; m++ {
			counts[m] = 2
		}
		var all []Alert
		for m := 0; m <= 60; m++ {
			got := d.OrdersPerMinute(clock(float64(m)), counts[m])
			switch {
			case m == 42:
				// Minutes 38–42: 2+2+4+4+4 = 16 orders, 3.2/min ≥ 1.5 × 2.0 (the mean
				// of minutes 0–37).
				if len(got) != 1 {
					t.Fatalf("minute 42: %+v, want the raise", got)
				}
				checkAlert(t, got[0], PeakStart, Raised, Info, clock(43), nil)
				want := "3.2 orders/min over the last 5 minutes, 1.6× the average of 2.0 orders/min over the 38 minutes before"
				if !strings.HasPrefix(got[0].Details, want) {
					t.Errorf("details = %q, want prefix %q", got[0].Details, want)
				}
			case m == 54:
				// Minute 46 is the last hot one (3.6/min against 3 × 88/42 = 3.14);
				// minute 47 has 3.2 against 3 × 92/43 = 3.21. Hold from 10:47 to
				// 10:52, final when the watermark passes 10:54 (end of minute 54).
				if len(got) != 1 {
					t.Fatalf("minute 54: %+v, want the clear", got)
				}
				checkAlert(t, got[0], PeakStart, Cleared, Info, clock(43), ptr(clock(52)))
				if !strings.Contains(got[0].Details, "peak 4.0 orders/min") {
					t.Errorf("cleared details = %q", got[0].Details)
				}
			case len(got) != 0:
				t.Fatalf("minute %d: %+v, want nothing", m, got)
			}
			all = append(all, got...)
		}
		if len(all) != 2 {
			t.Fatalf("%d alerts, want raise and clear", len(all))
		}
	})

	t.Run("warm-up", func(t *testing.T) {
		d := newSfax()
		// 2 orders a minute, and a burst of 20 at minute 33: its window (29–33) has only
		// 29 minutes of history before it, so it is not evaluated; minute 34 is the
		// first with 30 (0–29), and its window (30–34) holds the burst.
		for m := range 34 {
			n := 2
			if m == 33 {
				n = 20
			}
			if got := d.OrdersPerMinute(clock(float64(m)), n); len(got) != 0 {
				t.Fatalf("minute %d, in warm-up: %+v", m, got)
			}
		}
		got := d.OrdersPerMinute(clock(34), 2)
		if len(got) != 1 {
			t.Fatalf("minute 34: %+v, want the raise", got)
		}
		checkAlert(t, got[0], PeakStart, Raised, Info, clock(35), nil)
	})

	t.Run("minimum volume", func(t *testing.T) {
		d := newSfax()
		for m := range 40 {
			d.OrdersPerMinute(clock(float64(m)), 0)
		}
		if got := d.OrdersPerMinute(clock(40), 9); len(got) != 0 {
			t.Fatalf("9 orders in 5 minutes after none: %+v, want nothing", got)
		}
		got := d.OrdersPerMinute(clock(41), 1)
		if len(got) != 1 {
			t.Fatalf("10 orders in 5 minutes after none: %+v, want the raise", got)
		}
		if !strings.Contains(got[0].Details, "after no order in the 37 minutes before") {
			t.Errorf("details = %q", got[0].Details)
		}
	})

	t.Run("late minute re-evaluates the next ones", func(t *testing.T) {
		d := newSfax()
		for m := range 40 {
			d.OrdersPerMinute(clock(float64(m)), 2)
		}
		// Minutes 38–42 need 15 orders (3.0/min); 2 + 2 + 3 + ? + 4.
		d.OrdersPerMinute(clock(40), 3)
		if got := d.OrdersPerMinute(clock(42), 4); len(got) != 0 {
			t.Fatalf("minute 42 before 41: %+v", got)
		}
		got := d.OrdersPerMinute(clock(41), 4) // 15 orders now
		if len(got) != 1 {
			t.Fatalf("late minute 41: %+v, want the raise for minute 42", got)
		}
		checkAlert(t, got[0], PeakStart, Raised, Info, clock(43), nil)
	})
}

// script is a mixed sequence of inputs with a shortage, a spike and a peak, some of
// them overlapping.
func script() []func(*Detector) []Alert {
	var s []func(*Detector) []Alert
	for m := range 70 {
		at := clock(float64(m))
		n := 2
		if m >= 40 && m < 48 {
			n = 5
		}
		p := 50.0
		if m >= 20 && m < 30 && m%3 != 0 || m == 45 {
			p = 70 + float64(m)/2
		}
		s = append(s,
			func(d *Detector) []Alert { return d.OrdersPerMinute(at, n) },
			func(d *Detector) []Alert { return d.Pressure(at, p) })
		if m >= 22 && m < 30 && m%2 == 0 {
			s = append(s, func(d *Detector) []Alert { return d.Breach(at.Add(30 * time.Second)) })
		}
		if m%10 == 9 {
			s = append(s, func(d *Detector) []Alert { return d.Advance(at.Add(90 * time.Second)) })
		}
	}
	return append(s, func(d *Detector) []Alert { return d.Advance(clock(200)) })
}

func run(d *Detector, steps []func(*Detector) []Alert) []Alert {
	var out []Alert
	for _, step := range steps {
		out = append(out, step(d)...)
	}
	return out
}

func TestCheckpointMidEpisode(t *testing.T) {
	steps := script()
	whole := run(newSfax(), steps)
	kinds := map[Kind]int{}
	for _, a := range whole {
		kinds[a.Kind]++
	}
	if kinds[DriverShortage] != 4 || kinds[SLASpike] != 2 || kinds[PeakStart] != 2 {
		t.Fatalf("script gives %v, want 2 shortage episodes and one of each other kind: %+v", kinds, whole)
	}

	// Stop in the middle of the shortage episode, checkpoint, restore, continue.
	cut := 60
	live := newSfax()
	before := run(live, steps[:cut])
	if !live.st.Shortage.Open {
		t.Fatal("the cut is not inside the shortage episode")
	}
	data, err := json.Marshal(live)
	if err != nil {
		t.Fatal(err)
	}
	var restored Detector
	if err := json.Unmarshal(data, &restored); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(&restored); string(again) != string(data) {
		t.Fatalf("restored state marshals to\n%s\nwant\n%s", again, data)
	}
	after := run(&restored, steps[cut:])
	if got := append(before, after...); !reflect.DeepEqual(got, whole) {
		t.Fatalf("with a checkpoint:\n%+v\nwithout:\n%+v", got, whole)
	}
	final, _ := json.Marshal(&restored)
	ref := newSfax()
	run(ref, steps)
	if want, _ := json.Marshal(ref); string(final) != string(want) {
		t.Fatalf("final state differs:\n%s\nwant\n%s", final, want)
	}
}

func TestReplayGivesTheSameAlerts(t *testing.T) {
	a, b := run(newSfax(), script()), run(newSfax(), script())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of the same inputs differ")
	}
	raised := map[string]bool{}
	for _, x := range a {
		if x.State == Raised {
			if raised[x.ID] {
				t.Errorf("raised twice: %s", x.ID)
			}
			raised[x.ID] = true
		} else if !raised[x.ID] {
			t.Errorf("cleared without a raise: %s", x.ID)
		}
	}
}

func TestAlertJSON(t *testing.T) {
	d := New(3, "", DefaultLateness)
	got := d.Pressure(clock(0), 91.2)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	data, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"driver_shortage-3-20250314T100100.000000Z","city_id":3,"kind":"driver_shortage",` +
		`"severity":"critical","title":"Driver shortage in city 3",` +
		`"details":"City pressure 91.2 (driver shortage at ≥ 75, critical at ≥ 85).",` +
		`"raised_at":"2025-03-14T10:01:00Z","cleared_at":null,"state":"raised"}`
	if string(data) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", data, want)
	}
}

func TestRestoreRejectsBadState(t *testing.T) {
	for _, data := range []string{
		`[`,
		`{"lateness":"later"}`,
		`{"lateness":"2m0s","breaches":["2025-03-14T10:05:00Z","2025-03-14T10:01:00Z"]}`,
		`{"lateness":"2m0s","breach_minutes":{"1741946400":0}}`,
	} {
		var d Detector
		if err := json.Unmarshal([]byte(data), &d); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", data)
		}
	}
}
