package eta

import (
	"errors"
	"time"
)

// Baselines are SPEC §5's two reference predictors, fitted on the training split: the
// global mean delivery time, and the mean per city and local hour of placement. A model
// is worth promoting only if it beats them on the test split.
type Baselines struct {
	// Global is the mean delivery minutes over the whole training split.
	Global float64

	cities map[int32]float64    // mean per city
	cells  map[cityHour]float64 // mean per city and local hour
}

// cityHour is a cell of the per-city-hour baseline.
type cityHour struct {
	city int32
	hour int // 0–23, local time
}

func cellOf(cityID int32, placedAt time.Time) cityHour {
	return cityHour{city: cityID, hour: placedAt.In(Tunis).Hour()}
}

// FitBaselines computes both baselines from the training examples.
func FitBaselines(train []Example) (*Baselines, error) {
	if len(train) == 0 {
		return nil, errors.New("eta: baselines: no training examples")
	}
	type acc struct {
		sum float64
		n   int
	}
	cities := map[int32]*acc{}
	cells := map[cityHour]*acc{}
	add := func(a *acc, m float64) { a.sum += m; a.n++ }
	// Sum in canonical order, so that the means do not depend on the input order.
	var total acc
	for _, i := range canonicalOrder(train) {
		e := train[i]
		add(&total, e.Minutes)
		c := cities[e.CityID]
		if c == nil {
			c = &acc{}
			cities[e.CityID] = c
		}
		add(c, e.Minutes)
		k := cellOf(e.CityID, e.PlacedAt)
		h := cells[k]
		if h == nil {
			h = &acc{}
			cells[k] = h
		}
		add(h, e.Minutes)
	}
	b := &Baselines{
		Global: total.sum / float64(total.n),
		cities: make(map[int32]float64, len(cities)),
		cells:  make(map[cityHour]float64, len(cells)),
	}
	for k, a := range cities {
		b.cities[k] = a.sum / float64(a.n)
	}
	for k, a := range cells {
		b.cells[k] = a.sum / float64(a.n)
	}
	return b, nil
}

// CityHour is the per-city-per-hour baseline: the mean delivery minutes of the training
// orders of the city placed in the same local hour of day (any day). A cell without
// training orders falls back to the city's mean over all hours, and a city without
// training orders to the global mean, so every order gets a prediction.
func (b *Baselines) CityHour(cityID int32, placedAt time.Time) float64 {
	if m, ok := b.cells[cellOf(cityID, placedAt)]; ok {
		return m
	}
	if m, ok := b.cities[cityID]; ok {
		return m
	}
	return b.Global
}
