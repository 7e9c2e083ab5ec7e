// Package dims feeds the small dimensions every enricher instance keeps whole (see package
// replica): from their Debezium topics restaurants, couriers, cities, and weather
// observations into a weather.Store; from the city stage's topics the live restaurant
// preparation times and city pressure (Live). Safe for concurrent use: the replica writes,
// the processors read.
package dims

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Restaurant is what the enrichers need of a restaurant.
type Restaurant struct {
	ID             int32
	CityID         int32
	Lat, Lon       float64
	AvgPrepMinutes float64 // the profile's avg_prep_minutes
}

// Restaurants is the restaurants dimension.
type Restaurants struct {
	mu sync.RWMutex
	m  map[int32]Restaurant
}

// NewRestaurants is an empty dimension.
func NewRestaurants() *Restaurants { return &Restaurants{m: map[int32]Restaurant{}} }

// Get returns a restaurant by id.
func (r *Restaurants) Get(id int32) (Restaurant, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	x, ok := r.m[id]
	return x, ok
}

// Apply takes a change of the restaurants table.
func (r *Restaurants) Apply(ev *debezium.Event) error {
	if ev.Op == debezium.OpDelete {
		id, err := intValue(ev.Key, "id")
		if err != nil {
			return err
		}
		r.mu.Lock()
		delete(r.m, int32(id))
		r.mu.Unlock()
		return nil
	}
	var x Restaurant
	var errs [5]error
	var id, city int64
	id, errs[0] = intValue(ev.After, "id")
	city, errs[1] = intValue(ev.After, "city_id")
	x.Lat, errs[2] = floatValue(ev.After, "lat")
	x.Lon, errs[3] = floatValue(ev.After, "lon")
	x.AvgPrepMinutes, errs[4] = floatValue(ev.After, "avg_prep_minutes")
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("restaurants: %w", err)
		}
	}
	x.ID, x.CityID = int32(id), int32(city)
	r.mu.Lock()
	r.m[x.ID] = x
	r.mu.Unlock()
	return nil
}

func intValue(im debezium.Image, col string) (int64, error) {
	v := im.Get(col)
	if v == nil {
		return 0, fmt.Errorf("%s missing", col)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", col, err)
	}
	return n, nil
}

// floatValue reads a number, or a decimal sent as a string.
func floatValue(im debezium.Image, col string) (float64, error) {
	v := trimQuotes(im.Get(col))
	if v == nil {
		return 0, fmt.Errorf("%s missing", col)
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", col, err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) { // ParseFloat reads "NaN" and "Infinity"
		return 0, fmt.Errorf("%s: not a finite number: %s", col, v)
	}
	return f, nil
}

// Weather returns the function that feeds weather_observations changes into store.
func Weather(store *weather.Store) func(ev *debezium.Event) error {
	return func(ev *debezium.Event) error {
		if ev.Op == debezium.OpDelete {
			return nil // observations are history: a deleted one stays what was in force then
		}
		var o weather.Observation
		var errs [6]error
		var city int64
		o.ID, errs[0] = intValue(ev.After, "id")
		city, errs[1] = intValue(ev.After, "city_id")
		o.TemperatureC, errs[2] = floatValue(ev.After, "temperature_c")
		o.PrecipitationMm, errs[3] = floatValue(ev.After, "precipitation_mm")
		o.WindKmh, errs[4] = floatValue(ev.After, "wind_kmh")
		o.Condition = string(trimQuotes(ev.After.Get("condition")))
		var at []byte
		at = trimQuotes(ev.After.Get("observed_at"))
		o.ObservedAt, errs[5] = time.Parse(time.RFC3339Nano, string(at))
		for _, err := range errs {
			if err != nil {
				return fmt.Errorf("weather_observations: %w", err)
			}
		}
		o.CityID = int32(city)
		return store.Add(o)
	}
}

func trimQuotes(v []byte) []byte {
	if len(v) >= 2 && v[0] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
