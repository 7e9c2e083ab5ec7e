// Package weather is the weather side of the order enricher: the as-of join of SPEC §4.1.
// A Store keeps every city's weather observations (rows of weather_observations, sorted
// by observed_at) and answers "which observation was in force in this city at instant t".
//
// SPEC §4.1: "Each order gets the latest weather observation of its city at or before
// placed_at. is_rain = condition ∈ {rainy, stormy}. Weather changes arrive rarely and are
// small: every enricher instance keeps the whole weather state." Prune bounds that state
// without changing any answer at or after the pruning horizon; with a Retention, every Add
// prunes its city to that long before the city's newest observation, so that a long-running
// enricher holds what a restarted one loads from the weather topic (each city's latest
// observation for ever, every observation of the last 7 days) rather than every one since
// it started.
package weather

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The eight conditions of weather_observations.condition.
const (
	Sunny     = "sunny"
	Cloudy    = "cloudy"
	Rainy     = "rainy"
	Stormy    = "stormy"
	Windy     = "windy"
	Fog       = "fog"
	Hot       = "hot"
	Sandstorm = "sandstorm"
)

// Conditions returns the eight conditions in the order of the CHECK constraint of
// weather_observations (sunny, cloudy, rainy, stormy, windy, fog, hot, sandstorm). The
// order is part of the feature vector of package features: do not reorder.
func Conditions() []string { return slices.Clone(conditions[:]) }

var conditions = [...]string{Sunny, Cloudy, Rainy, Stormy, Windy, Fog, Hot, Sandstorm}

// IsRain is SPEC §4.1's is_rain: "condition ∈ {rainy, stormy}".
func IsRain(condition string) bool {
	return condition == Rainy || condition == Stormy
}

// Observation is one row of weather_observations.
type Observation struct {
	ID              int64     `json:"id"`
	CityID          int32     `json:"city_id"`
	ObservedAt      time.Time `json:"observed_at"` // in force until the city's next observation
	Condition       string    `json:"condition"`   // one of Conditions()
	TemperatureC    float64   `json:"temperature_c"`
	PrecipitationMm float64   `json:"precipitation_mm"` // over the last hour
	WindKmh         float64   `json:"wind_kmh"`
}

// validate rejects what the table's constraints would reject, so that a bad record is
// dead-lettered by the caller rather than silently joined to orders.
func (o Observation) validate() error {
	switch {
	case o.ObservedAt.IsZero():
		return fmt.Errorf("weather: observation %d has no observed_at", o.ID)
	case !slices.Contains(conditions[:], o.Condition):
		return fmt.Errorf("weather: observation %d has unknown condition %q", o.ID, o.Condition)
	case o.PrecipitationMm < 0 || o.WindKmh < 0:
		return fmt.Errorf("weather: observation %d has negative precipitation or wind", o.ID)
	}
	return nil
}

// key is where an observation sits in its city's list.
type key struct {
	city int32
	at   time.Time
}

// Store holds the weather observations of every city for the as-of join. The zero value
// is an empty store ready to use. A Store is safe for concurrent use: Add and Prune take
// a write lock, At and Len a read lock, so one goroutine can feed the weather topic while
// others enrich orders. It must not be copied after first use.
type Store struct {
	// Retention, when positive, bounds each city's history: an observation older than the
	// city's newest by more than this is dropped, but for the one in force then. Set it
	// before the first Add.
	Retention time.Duration

	mu     sync.RWMutex
	cities map[int32][]Observation // per city, sorted by (ObservedAt, ID)
	byID   map[int64]key
}

// compare orders observations by observed_at, then by id, so that two observations of a
// city at the same instant have a deterministic winner: the higher id, the later insert.
func compare(a, b Observation) int {
	if c := a.ObservedAt.Compare(b.ObservedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Add inserts o, in any order relative to the observations already held (late ones
// too). Adding an id again replaces the stored observation (the same record redelivered
// is a no-op; a changed one, a CDC update, wins), so Add is idempotent. It returns an
// error, and keeps the store unchanged, for an observation the table could not hold
// (zero observed_at, unknown condition, negative precipitation or wind).
//
// An observation older than a previous Prune horizon is accepted again and only costs
// memory until the next Prune; it never changes an answer at or after that horizon,
// since the observation Prune kept for the horizon is newer.
func (s *Store) Add(o Observation) error {
	if err := o.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cities == nil {
		s.cities = make(map[int32][]Observation)
		s.byID = make(map[int64]key)
	}
	if k, ok := s.byID[o.ID]; ok {
		s.remove(k, o.ID)
	}
	list := s.cities[o.CityID]
	i, _ := slices.BinarySearchFunc(list, o, compare)
	s.cities[o.CityID] = slices.Insert(list, i, o)
	s.byID[o.ID] = key{o.CityID, o.ObservedAt}
	if s.Retention > 0 {
		list := s.cities[o.CityID]
		s.pruneCity(o.CityID, list[len(list)-1].ObservedAt.Add(-s.Retention))
	}
	return nil
}

// remove deletes the observation id stored under k. The caller holds the write lock.
func (s *Store) remove(k key, id int64) {
	list := s.cities[k.city]
	if i, found := slices.BinarySearchFunc(list, Observation{ID: id, ObservedAt: k.at}, compare); found {
		s.cities[k.city] = slices.Delete(list, i, i+1)
	}
	delete(s.byID, id)
}

// At is the as-of join of SPEC §4.1: the latest observation of cityID whose observed_at
// is at or before t (observed_at ≤ t). It reports false when the city has none, for
// example an order placed before the city's first observation.
func (s *Store) At(cityID int32, t time.Time) (Observation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.cities[cityID]
	i := upTo(list, t)
	if i == 0 {
		return Observation{}, false
	}
	return list[i-1], true
}

// upTo is the number of observations of a sorted list whose observed_at is at or before
// t; the as-of observation at t is the last of them.
func upTo(list []Observation, t time.Time) int {
	i, _ := slices.BinarySearchFunc(list, t, func(o Observation, t time.Time) int {
		if o.ObservedAt.After(t) {
			return 1
		}
		return -1
	})
	return i
}

// Prune bounds memory: for every city it drops the observations older than before,
// except the newest one at or before before, which is still in force at that instant.
// Afterwards At(city, t) gives the same answer as without pruning for every t ≥ before.
// It returns how many observations were dropped.
func (s *Store) Prune(before time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := 0
	for city := range s.cities {
		dropped += s.pruneCity(city, before)
	}
	return dropped
}

// pruneCity is Prune for one city. The caller holds the write lock.
func (s *Store) pruneCity(city int32, before time.Time) int {
	list := s.cities[city]
	// keep is the index of the newest observation at or before the horizon.
	keep := upTo(list, before) - 1
	if keep <= 0 {
		return 0
	}
	for _, o := range list[:keep] {
		delete(s.byID, o.ID)
	}
	s.cities[city] = slices.Delete(list, 0, keep)
	return keep
}

// Len is the number of observations held, over all cities.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}
