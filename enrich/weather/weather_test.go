package weather

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func obs(id int64, city int32, minutes int, condition string) Observation {
	return Observation{ID: id, CityID: city, ObservedAt: t0.Add(time.Duration(minutes) * time.Minute),
		Condition: condition, TemperatureC: 20, PrecipitationMm: 0, WindKmh: 10}
}

func TestIsRain(t *testing.T) {
	for _, c := range Conditions() {
		want := c == "rainy" || c == "stormy"
		if got := IsRain(c); got != want {
			t.Errorf("IsRain(%q) = %v, want %v", c, got, want)
		}
	}
	if IsRain("") || IsRain("Rainy") {
		t.Error("IsRain is true for an empty or mis-cased condition")
	}
}

func TestAt(t *testing.T) {
	var s Store
	// Added out of order, with a late observation and two cities.
	for _, o := range []Observation{
		obs(3, 1, 10, Rainy),
		obs(1, 1, 0, Sunny),
		obs(10, 2, 0, Fog),
		obs(2, 1, 5, Cloudy),
	} {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		city   int32
		minute float64
		wantID int64 // 0: none
	}{
		{"before the first observation", 1, -0.01, 0},
		{"exactly at the first", 1, 0, 1},
		{"between first and second", 1, 4.99, 1},
		{"exactly at the second (at or before)", 1, 5, 2},
		{"between second and third", 1, 7, 2},
		{"after the last", 1, 600, 3},
		{"other city", 2, 3, 10},
		{"unknown city", 9, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := t0.Add(time.Duration(tt.minute * float64(time.Minute)))
			got, ok := s.At(tt.city, at)
			if ok != (tt.wantID != 0) || got.ID != tt.wantID {
				t.Errorf("At(%d, %v) = id %d, %v; want id %d", tt.city, at, got.ID, ok, tt.wantID)
			}
		})
	}
}

func TestAtComparesInstantsNotZones(t *testing.T) {
	var s Store
	o := obs(1, 1, 0, Sunny)
	o.ObservedAt = o.ObservedAt.In(time.FixedZone("CET", 3600))
	if err := s.Add(o); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.At(1, t0); !ok {
		t.Error("an observation stored in local time is not found at the same UTC instant")
	}
}

func TestAddIsIdempotent(t *testing.T) {
	var s Store
	o := obs(1, 1, 0, Sunny)
	for range 3 {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d after adding the same observation three times, want 1", s.Len())
	}
	// The same id again, changed (a CDC update): it replaces the old one, wherever it moves.
	o.ObservedAt = t0.Add(10 * time.Minute)
	o.Condition = Stormy
	if err := s.Add(o); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d after an update, want 1", s.Len())
	}
	if _, ok := s.At(1, t0.Add(5*time.Minute)); ok {
		t.Error("the observation's old version is still found")
	}
	if got, _ := s.At(1, t0.Add(10*time.Minute)); got.Condition != Stormy {
		t.Errorf("condition = %q, want stormy", got.Condition)
	}
	// Moved to another city.
	o.CityID = 2
	if err := s.Add(o); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.At(1, t0.Add(time.Hour)); ok || s.Len() != 1 {
		t.Errorf("the observation is still in city 1 (Len %d)", s.Len())
	}
}

func TestSameInstantHigherIDWins(t *testing.T) {
	var s Store
	for _, o := range []Observation{obs(8, 1, 0, Rainy), obs(7, 1, 0, Sunny)} {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.At(1, t0); got.ID != 8 {
		t.Errorf("At = id %d, want 8", got.ID)
	}
}

func TestAddRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Observation)
		want string
	}{
		{"unknown condition", func(o *Observation) { o.Condition = "snowy" }, `unknown condition "snowy"`},
		{"no time", func(o *Observation) { o.ObservedAt = time.Time{} }, "no observed_at"},
		{"negative precipitation", func(o *Observation) { o.PrecipitationMm = -1 }, "negative"},
		{"negative wind", func(o *Observation) { o.WindKmh = -1 }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Store
			o := obs(1, 1, 0, Sunny)
			tt.edit(&o)
			err := s.Add(o)
			if err == nil || !strings.HasPrefix(err.Error(), "weather: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add = %v, want an error containing %q", err, tt.want)
			}
			if s.Len() != 0 {
				t.Error("a rejected observation was stored")
			}
		})
	}
}

func TestPrune(t *testing.T) {
	var s Store
	// City 1 every 5 minutes from 0 to 30; city 2 only at 0; city 3 only after the horizon.
	for i := range int64(7) {
		if err := s.Add(obs(i+1, 1, int(5*i), Sunny)); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []Observation{obs(20, 2, 0, Fog), obs(30, 3, 40, Hot)} {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	horizon := t0.Add(17 * time.Minute)
	var before []Observation
	probes := []time.Duration{17 * time.Minute, 20 * time.Minute, 22 * time.Minute, time.Hour}
	for _, p := range probes {
		for city := range int32(4) {
			o, _ := s.At(city, t0.Add(p))
			before = append(before, o)
		}
	}
	// City 1 drops 0, 5, 10 and keeps 15 (in force at 17); cities 2 and 3 keep theirs.
	if got := s.Prune(horizon); got != 3 {
		t.Errorf("Prune dropped %d, want 3", got)
	}
	if s.Len() != 6 {
		t.Errorf("Len = %d after Prune, want 6", s.Len())
	}
	i := 0
	for _, p := range probes {
		for city := range int32(4) {
			if o, _ := s.At(city, t0.Add(p)); o != before[i] {
				t.Errorf("At(%d, +%v) = %d after Prune, was %d", city, p, o.ID, before[i].ID)
			}
			i++
		}
	}
	// Pruning exactly at an observation keeps that one only.
	if got := s.Prune(t0.Add(25 * time.Minute)); got != 2 {
		t.Errorf("Prune at an observation dropped %d, want 2 (15 and 20)", got)
	}
	if o, ok := s.At(1, t0.Add(25*time.Minute)); !ok || o.ID != 6 {
		t.Errorf("At the horizon = id %d, %v; want 6", o.ID, ok)
	}
	// A pruned id redelivered is stored again without changing answers after the horizon.
	if err := s.Add(obs(1, 1, 0, Stormy)); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.At(1, t0.Add(25*time.Minute)); o.ID != 6 {
		t.Errorf("a redelivered old observation changed the answer to %d", o.ID)
	}
}

func TestObservationJSON(t *testing.T) {
	b, err := json.Marshal(obs(1, 2, 0, Rainy))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"city_id":2,"observed_at":"2025-03-14T12:00:00Z","condition":"rainy","temperature_c":20,"precipitation_mm":0,"wind_kmh":10}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}

// TestConcurrentUse is meant for -race: one writer and readers, as in the enricher.
func TestConcurrentUse(t *testing.T) {
	var s Store
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range int64(200) {
			if err := s.Add(obs(i+1, int32(i%3), int(i), Cloudy)); err != nil {
				t.Error(err)
				return
			}
			if i%50 == 49 {
				s.Prune(t0.Add(time.Duration(i-10) * time.Minute))
			}
		}
	}()
	for i := range 200 {
		s.At(int32(i%3), t0.Add(time.Duration(i)*time.Minute))
	}
	<-done
}

// TestRetentionBoundsTheStore: a month of observations, every 5 minutes in 24 cities, in
// a store that keeps a day: each city's list never holds more than the observation in force
// a day before its newest and those after it, and answers within that day as an unpruned
// store does.
func TestRetentionBoundsTheStore(t *testing.T) {
	s := Store{Retention: 24 * time.Hour}
	var all Store
	id := int64(0)
	most := 0
	for m := 0; m <= 30*24*60; m += 5 {
		for city := int32(1); city <= 24; city++ {
			id++
			o := obs(id, city, m, Sunny)
			if id%7 == 0 {
				o.Condition = Rainy
			}
			if err := s.Add(o); err != nil {
				t.Fatal(err)
			}
			if err := all.Add(o); err != nil {
				t.Fatal(err)
			}
		}
		most = max(most, s.Len())
		for _, back := range []int{0, 3, 24*60 - 1} {
			at := t0.Add(time.Duration(m-back) * time.Minute)
			for _, city := range []int32{1, 24} {
				got, ok1 := s.At(city, at)
				want, ok2 := all.At(city, at)
				if ok1 != ok2 || got != want {
					t.Fatalf("minute %d, city %d: %d minutes back %v, unpruned %v", m, city, back, got, want)
				}
			}
		}
	}
	// Per city: a day of observations every 5 minutes, both ends included.
	if perCity := 24*12 + 1; most != perCity*24 || all.Len() != 24*(30*24*12+1) {
		t.Errorf("pruned store held up to %d observations, want %d (the unpruned one %d)", most, perCity*24, all.Len())
	}
}
