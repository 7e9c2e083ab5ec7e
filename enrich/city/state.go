package city

import (
	"slices"
	"time"

	"github.com/flavortrend/flavortrend/enrich/alerts"
	"github.com/flavortrend/flavortrend/enrich/pressure"
	"github.com/flavortrend/flavortrend/enrich/recommend"
	"github.com/flavortrend/flavortrend/enrich/sentiment"
	"github.com/flavortrend/flavortrend/internal/calendar"
)

// cityState is what the stage keeps per city.
type cityState struct {
	CityID int32 `json:"city_id"`
	// Published is the start of the last minute whose pressure was published.
	Published time.Time `json:"published"`
	// Open counts the city's placed, accepted and picked-up orders.
	Open int `json:"open_orders"`
	// Deliveries are the recent deliveries, by delivered_at, for the 15-minute average.
	Deliveries []delivery `json:"deliveries"`
	// Placed counts the orders placed per minute (Unix seconds of its start), for the
	// minutes a late placement can still change.
	Placed map[int64]int `json:"placed"`

	Alerts         *alerts.Detector          `json:"alerts"`
	Sentiment      *sentiment.Windows        `json:"sentiment"`
	Recommendation *recommend.Recommendation `json:"recommendation,omitempty"` // the last one made
}

type delivery struct {
	At      time.Time `json:"at"`
	Minutes float64   `json:"minutes"` // delivered_at − placed_at
}

func newCity(id int32, first time.Time, lateness time.Duration) *cityState {
	return &cityState{
		CityID:    id,
		Published: first.UTC().Truncate(time.Minute).Add(-time.Minute),
		Placed:    map[int64]int{},
		Alerts:    alerts.New(id, "", lateness),
		Sentiment: sentiment.New(lateness),
	}
}

// addDelivery keeps the deliveries sorted by time.
func (c *cityState) addDelivery(d delivery) {
	i, _ := slices.BinarySearchFunc(c.Deliveries, d.At, func(x delivery, t time.Time) int { return x.At.Compare(t) })
	c.Deliveries = slices.Insert(c.Deliveries, i, d)
}

// recentDeliveries is the mean minutes of the deliveries in (end − 15 min, end] and their
// number.
func (c *cityState) recentDeliveries(end time.Time) (avg float64, n int) {
	var sum float64
	for _, d := range c.Deliveries {
		if d.At.After(end.Add(-DelayWindow)) && !d.At.After(end) {
			sum += d.Minutes
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// prune drops what no minute after published can read.
func (c *cityState) prune(lateness time.Duration) {
	horizon := c.Published.Add(time.Minute) // end of the last published minute
	keep := slices.IndexFunc(c.Deliveries, func(d delivery) bool { return d.At.After(horizon.Add(-DelayWindow)) })
	if keep < 0 {
		keep = len(c.Deliveries)
	}
	c.Deliveries = slices.Delete(c.Deliveries, 0, keep)
	oldest := horizon.Add(-lateness - time.Minute).Unix()
	for m := range c.Placed {
		if m < oldest {
			delete(c.Placed, m)
		}
	}
}

// courierState is what the stage keeps per courier.
type courierState struct {
	CityID      int32   `json:"city_id"`
	Known       bool    `json:"known"` // its couriers row was seen
	Status      string  `json:"status"`
	Vehicle     string  `json:"vehicle"`
	SpeedFactor float64 `json:"speed_factor"`
	// Active are the open orders assigned to the courier.
	Active []int64 `json:"active"`
	// Day is the local date (YYYY-MM-DD, Africa/Tunis) the day's counters are for.
	Day         string  `json:"day"`
	Deliveries  int     `json:"deliveries"`
	DistanceKm  float64 `json:"distance_km"`
	RideMinutes float64 `json:"ride_minutes"` // Σ delivered_at − picked_up_at

	Lat        float64    `json:"lat"`
	Lon        float64    `json:"lon"`
	SpeedKmh   float64    `json:"speed_kmh"`
	PositionAt *time.Time `json:"position_at,omitempty"`

	// Published is the updated_at last published: a change arriving out of time order is
	// published no earlier, so that the latest updated_at is always the courier's state.
	Published time.Time `json:"published,omitzero"`
}

func localDay(t time.Time) string { return t.In(calendar.Tunis).Format(time.DateOnly) }

func (c *courierState) assign(order int64) {
	if i, found := slices.BinarySearch(c.Active, order); !found {
		c.Active = slices.Insert(c.Active, i, order)
	}
}

func (c *courierState) release(order int64) {
	if i, found := slices.BinarySearch(c.Active, order); found {
		c.Active = slices.Delete(c.Active, i, i+1)
	}
}

// delivered counts a delivery in the courier's day.
func (c *courierState) delivered(o *Order) {
	day := localDay(o.DeliveredAt)
	if day != c.Day {
		if day < c.Day {
			return // a late delivery of a day already over: its counters are gone
		}
		c.Day, c.Deliveries, c.DistanceKm, c.RideMinutes = day, 0, 0, 0
	}
	c.Deliveries++
	if !o.PickedUpAt.IsZero() && o.DeliveredAt.After(o.PickedUpAt) {
		c.DistanceKm += o.DistanceKm
		c.RideMinutes += o.DeliveredAt.Sub(o.PickedUpAt).Minutes()
	}
}

func (c *courierState) available() bool {
	return c.Known && pressure.CourierAvailable(c.Status, len(c.Active))
}

// features are the courier's features to publish for a change at event time at.
func (c *courierState) features(id int32, at time.Time) CourierFeatures {
	if at.After(c.Published) {
		c.Published = at.UTC()
	}
	at = c.Published
	f := CourierFeatures{
		CourierID: id, CityID: c.CityID, UpdatedAt: at, Status: c.Status, Vehicle: c.Vehicle, SpeedFactor: c.SpeedFactor,
		ActiveDeliveries: len(c.Active), Load: pressure.CourierLoadOf(len(c.Active)), Available: c.available(),
		Lat: c.Lat, Lon: c.Lon, SpeedKmh: c.SpeedKmh, PositionAt: c.PositionAt,
	}
	if c.Day == localDay(at) {
		f.DeliveriesToday = c.Deliveries
		if c.RideMinutes > 0 {
			f.AvgSpeedKmhToday = c.DistanceKm / (c.RideMinutes / 60)
		}
	}
	return f
}

// restaurantState is what the stage keeps per restaurant.
type restaurantState struct {
	CityID      int32       `json:"city_id"`
	PausedUntil time.Time   `json:"paused_until,omitzero"`
	Placed      []time.Time `json:"placed"`  // placements of the last 15 minutes, sorted
	Pickups     []pickup    `json:"pickups"` // pickups of the last hour, sorted
	LastOrderAt time.Time   `json:"last_order_at,omitzero"`
	LastPromo   bool        `json:"last_promo"` // the latest order was a promo order
	// Last is what was last published.
	Last *RestaurantFeatures `json:"last,omitempty"`
}

type pickup struct {
	At          time.Time `json:"at"`
	PrepMinutes float64   `json:"prep_minutes"` // picked_up_at − accepted_at
}

func (r *restaurantState) placed(o *Order) {
	i, _ := slices.BinarySearchFunc(r.Placed, o.PlacedAt, time.Time.Compare)
	r.Placed = slices.Insert(r.Placed, i, o.PlacedAt)
	if !o.PlacedAt.Before(r.LastOrderAt) {
		r.LastOrderAt, r.LastPromo = o.PlacedAt, o.IsPromo
	}
}

func (r *restaurantState) pickedUp(p pickup) {
	i, _ := slices.BinarySearchFunc(r.Pickups, p.At, func(x pickup, t time.Time) int { return x.At.Compare(t) })
	r.Pickups = slices.Insert(r.Pickups, i, p)
}

// window counts the placements in (end − 15 min, end] and averages the pickups in
// (end − 1 h, end], dropping what is older than both need.
func (r *restaurantState) window(end time.Time) (orders15 int, prep float64, pickups int) {
	r.Placed = slices.DeleteFunc(r.Placed, func(t time.Time) bool { return !t.After(end.Add(-OrdersWindow)) })
	r.Pickups = slices.DeleteFunc(r.Pickups, func(p pickup) bool { return !p.At.After(end.Add(-PrepWindow)) })
	for _, t := range r.Placed {
		if !t.After(end) {
			orders15++
		}
	}
	var sum float64
	for _, p := range r.Pickups {
		if !p.At.After(end) {
			sum += p.PrepMinutes
			pickups++
		}
	}
	if pickups > 0 {
		prep = sum / float64(pickups)
	}
	return orders15, prep, pickups
}

// orderState is what the stage keeps per order of its cities: while it is open, and for
// ReviewWindow after its delivery, for its review.
type orderState struct {
	CityID       int32     `json:"city_id"`
	RestaurantID int32     `json:"restaurant_id"`
	CourierID    int32     `json:"courier_id"`
	PickedUp     bool      `json:"picked_up"` // its pickup was counted
	Status       string    `json:"status"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`
}

// waitingReview is a review that came before its order.
type waitingReview struct {
	At     time.Time `json:"at"`
	Review Review    `json:"review"`
}

// ReviewWindow is how long after its delivery, in event time, an order is kept for its
// review (the simulator's customers review within an hour); a later review is not counted.
const ReviewWindow = 2 * time.Hour

// Windows of the live features (SPEC §4.5–§4.7).
const (
	DelayWindow  = 15 * time.Minute // pressure: avg delivery minutes over the last 15 min
	OrdersWindow = 15 * time.Minute // restaurants: orders_last_15m
	PrepWindow   = time.Hour        // restaurants: avg_prep_minutes_last_hour
)
