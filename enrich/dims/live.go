package dims

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Live holds what the order stage reads back from the city stage for an order's features
// at placement (SPEC §4.2): each restaurant's latest avg_prep_minutes_last_hour (topic
// features.restaurants) and each city's recent pressure minutes (topic city.pressure).
//
// The city stage runs beside the order stage, so these values are the latest the replica
// has read when an order is placed, not a join on event time: a replay may see a minute
// more or less of them. The pressure is looked up as of placed_at among the minutes kept,
// which keeps that difference to the minute being published at the instant of placement.
type Live struct {
	mu       sync.RWMutex
	prep     map[int32]prep
	pressure map[int32][]minute // by city, sorted by start, the last keepMinutes
}

type prep struct {
	minutes float64
	pickups int
}

type minute struct {
	start    time.Time
	pressure float64
}

// keepMinutes is how many pressure minutes Live keeps per city.
const keepMinutes = 30

// NewLive is empty.
func NewLive() *Live { return &Live{prep: map[int32]prep{}, pressure: map[int32][]minute{}} }

// Prep is a restaurant's live avg_prep_minutes_last_hour; ok is false when it had no
// pickup in the last hour (or none was published yet).
func (l *Live) Prep(restaurant int32) (minutes float64, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p := l.prep[restaurant]
	return p.minutes, p.pickups > 0
}

// Pressure is the pressure of the city's latest published minute that ended at or before
// at; 0 when none is known.
func (l *Live) Pressure(city int32, at time.Time) float64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ms := l.pressure[city]
	for i := len(ms) - 1; i >= 0; i-- {
		if !ms[i].start.Add(time.Minute).After(at) {
			return ms[i].pressure
		}
	}
	return 0
}

// ApplyRestaurant takes a record of features.restaurants.
func (l *Live) ApplyRestaurant(r *kgo.Record) error {
	var v struct {
		ID      int32   `json:"restaurant_id"`
		Prep    float64 `json:"avg_prep_minutes_last_hour"`
		Pickups int     `json:"pickups_last_hour"`
	}
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return fmt.Errorf("restaurant features: %w", err)
	}
	l.mu.Lock()
	l.prep[v.ID] = prep{v.Prep, v.Pickups}
	l.mu.Unlock()
	return nil
}

// ApplyPressure takes a record of city.pressure.
func (l *Live) ApplyPressure(r *kgo.Record) error {
	var v struct {
		City     int32     `json:"city_id"`
		Minute   time.Time `json:"minute"`
		Pressure float64   `json:"pressure"`
	}
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return fmt.Errorf("city pressure: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := l.pressure[v.City]
	i, found := slices.BinarySearchFunc(ms, v.Minute, func(m minute, t time.Time) int { return m.start.Compare(t) })
	if found {
		ms[i].pressure = v.Pressure
	} else {
		ms = slices.Insert(ms, i, minute{v.Minute, v.Pressure})
	}
	if len(ms) > keepMinutes {
		ms = slices.Delete(ms, 0, len(ms)-keepMinutes)
	}
	l.pressure[v.City] = ms
	return nil
}
