package recommend

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/enrich/pressure"
)

var t0 = time.Date(2025, 3, 14, 10, 5, 0, 0, time.UTC)

// sfax is a city of 20 couriers, 18 online, none overloaded, at the given pressure
// inputs.
func sfax(at time.Time, open, avail int, avg float64) Input {
	return Input{
		CityID: 7, At: at, Pressure: pressure.Compute(open, avail, avg, true),
		RosterCouriers: 20, OnlineCouriers: 18,
	}
}

func TestSurgeFactor(t *testing.T) {
	tests := []struct {
		name   string
		in     Input
		ok     bool
		factor float64
	}{
		// 6 open for 2 available, 56.0 min: 74.9 (see enrich/pressure's tests).
		{"below 75", sfax(t0, 6, 2, 56.0), false, 0},
		{"at 75.0", sfax(t0, 6, 2, 56.1), true, 1.5},
		{"at 84.9", sfax(t0, 10, 2, 54.4), true, 1.5},
		{"at 85.0", sfax(t0, 10, 2, 54.5), true, 2.0},
	}
	for _, tt := range tests {
		r, ok := Surge(tt.in, nil)
		if ok != tt.ok || r.Factor != tt.factor {
			t.Errorf("%s (pressure %.1f): ok %v factor %v, want %v %v", tt.name, tt.in.Pressure.Pressure, ok, r.Factor, tt.ok, tt.factor)
		}
	}
}

func TestSurgeRecord(t *testing.T) {
	in := sfax(t0.Add(30*time.Second), 10, 2, 54.5) // pressure 85.0
	r, ok := Surge(in, nil)
	if !ok {
		t.Fatal("no recommendation at 85")
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"surge-7-20250314T100530.000000Z","city_id":7,"kind":"surge","factor":2,"duration_minutes":15,` +
		`"rationale":"high_demand","details":"Pressure 85.0: 10 open orders for 2 available couriers (5.0 per courier), ` +
		`18 of 20 couriers online, 0 overloaded (≥ 5 active deliveries).","pressure":85,` +
		`"created_at":"2025-03-14T10:05:30Z","expires_at":"2025-03-14T10:20:30Z"}`
	if string(data) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", data, want)
	}
	if again, _ := Surge(in, nil); again != r {
		t.Fatalf("same input, different recommendation: %+v", again)
	}
}

func TestSurgeOncePerEpisode(t *testing.T) {
	warn := func(m int) Input { return sfax(t0.Add(time.Duration(m)*time.Minute), 6, 2, 56.1) }  // 75.0
	crit := func(m int) Input { return sfax(t0.Add(time.Duration(m)*time.Minute), 10, 2, 54.5) } // 85.0

	first, ok := Surge(warn(0), nil)
	if !ok {
		t.Fatal("no first recommendation")
	}
	tests := []struct {
		name string
		in   Input
		ok   bool
	}{
		{"same band a minute later", warn(1), false},
		{"same band just before expiry", warn(14), false},
		{"same band at expiry", warn(15), true},
		{"escalated to ×2.0 while running", crit(3), true},
	}
	for _, tt := range tests {
		if _, ok := Surge(tt.in, &first); ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
		}
	}
	second, _ := Surge(crit(3), &first)
	if _, ok := Surge(warn(4), &second); ok {
		t.Error("a lower band while ×2.0 runs gave a new recommendation")
	}
	if second.ID == first.ID {
		t.Errorf("two recommendations share the id %q", first.ID)
	}
}

func TestRationaleOf(t *testing.T) {
	p := pressure.Compute(12, 2, 50, true)
	tests := []struct {
		name                       string
		roster, online, overloaded int
		want                       Rationale
	}{
		{"most couriers offline", 20, 9, 0, LowSupply},
		{"half offline is not most", 20, 10, 0, HighDemand},
		{"low supply wins over overload", 20, 9, 5, LowSupply},
		{"more overloaded than available", 20, 18, 3, OverloadedCouriers},
		{"as many overloaded as available", 20, 18, 2, HighDemand},
		{"couriers online and not overloaded", 20, 18, 0, HighDemand},
		{"no roster known", 0, 0, 0, HighDemand},
	}
	for _, tt := range tests {
		in := Input{CityID: 1, At: t0, Pressure: p, RosterCouriers: tt.roster, OnlineCouriers: tt.online, OverloadedCouriers: tt.overloaded}
		if got := RationaleOf(in); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
