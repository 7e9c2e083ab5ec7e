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
	// Deliveries sums the recent deliveries' minutes (delivered_at − placed_at) per minute
	// of delivered_at, for the 15-minute average.
	Deliveries minutes `json:"deliveries"`
	// Placed counts the orders placed per minute (Unix seconds of its start), for the
	// minutes a late placement can still change.
	Placed map[int64]int `json:"placed"`

	Alerts         *alerts.Detector          `json:"alerts"`
	Sentiment      *sentiment.Windows        `json:"sentiment"`
	Recommendation *recommend.Recommendation `json:"recommendation,omitempty"` // the last one made
}

// minutes sums values per minute (Unix seconds of its start): a window's state is then
// as large as the window in minutes, however many events it holds.
type minutes map[int64]sum

type sum struct {
	Total float64 `json:"t"`
	N     int     `json:"n"`
}

// add counts v at time at.
func (m minutes) add(at time.Time, v float64) {
	k := at.UTC().Truncate(time.Minute).Unix()
	b := m[k]
	b.Total, b.N = b.Total+v, b.N+1
	m[k] = b
}

// in sums the minutes in [from, to).
func (m minutes) in(from, to time.Time) sum {
	var out sum
	for k, b := range m {
		if k >= from.Unix() && k < to.Unix() {
			out.Total, out.N = out.Total+b.Total, out.N+b.N
		}
	}
	return out
}

// prune drops the minutes before from.
func (m minutes) prune(from time.Time) {
	for k := range m {
		if k < from.Unix() {
			delete(m, k)
		}
	}
}

func newCity(id int32, first time.Time, lateness time.Duration) *cityState {
	return &cityState{
		CityID:     id,
		Published:  first.UTC().Truncate(time.Minute).Add(-time.Minute),
		Placed:     map[int64]int{},
		Deliveries: minutes{},
		Alerts:     alerts.New(id, "", lateness),
		Sentiment:  sentiment.New(lateness),
	}
}

// recentDeliveries is the mean minutes of the deliveries in the 15 minutes before end
// (delivered_at in [end − 15 min, end), end a minute's end) and their number.
func (c *cityState) recentDeliveries(end time.Time) (avg float64, n int) {
	s := c.Deliveries.in(end.Add(-DelayWindow), end)
	if s.N == 0 {
		return 0, 0
	}
	return s.Total / float64(s.N), s.N
}

// prune drops what no minute after published can read.
func (c *cityState) prune(lateness time.Duration) {
	horizon := c.Published.Add(time.Minute) // end of the last published minute
	c.Deliveries.prune(horizon.Add(time.Minute - DelayWindow))
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
	CityID      int32     `json:"city_id"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	Placed      minutes   `json:"placed"`  // placements per minute of the last 15 minutes (Total unused)
	Pickups     minutes   `json:"pickups"` // preparation minutes per minute of pickup, of the last hour
	LastOrderAt time.Time `json:"last_order_at,omitzero"`
	LastPromo   bool      `json:"last_promo"` // the latest order was a promo order
	// Last is what was last published.
	Last *RestaurantFeatures `json:"last,omitempty"`
}

func (r *restaurantState) placed(o *Order) {
	r.Placed.add(o.PlacedAt, 0)
	if !o.PlacedAt.Before(r.LastOrderAt) {
		r.LastOrderAt, r.LastPromo = o.PlacedAt, o.IsPromo
	}
}

// pickedUp counts a pickup at picked_up_at with its preparation (picked_up_at −
// accepted_at).
func (r *restaurantState) pickedUp(o *Order) {
	r.Pickups.add(o.PickedUpAt, o.PickedUpAt.Sub(o.AcceptedAt).Minutes())
}

// window counts the placements of the 15 minutes before end ([end − 15 min, end), end a
// minute's end) and averages the pickups of the hour before it, dropping what is older than
// both need.
func (r *restaurantState) window(end time.Time) (orders15 int, prep float64, pickups int) {
	r.Placed.prune(end.Add(-OrdersWindow))
	r.Pickups.prune(end.Add(-PrepWindow))
	orders15 = r.Placed.in(end.Add(-OrdersWindow), end).N
	s := r.Pickups.in(end.Add(-PrepWindow), end)
	if s.N > 0 {
		prep = s.Total / float64(s.N)
	}
	return orders15, prep, s.N
}

// orderState is what the stage keeps per order of its cities: while it is open, and for
// ReviewWindow after its delivery, for its review.
type orderState struct {
	CityID       int32     `json:"city_id"`
	RestaurantID int32     `json:"restaurant_id"`
	CourierID    int32     `json:"courier_id"`
	PickedUp     bool      `json:"picked_up"` // its pickup was counted
	Status       string    `json:"status"`
	PlacedAt     time.Time `json:"placed_at,omitzero"` // for Config.OpenFor
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
