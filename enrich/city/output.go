package city

import (
	"time"

	"github.com/flavortrend/flavortrend/enrich/pressure"
	"github.com/flavortrend/flavortrend/enrich/sentiment"
)

// Topics are the stage's input, its output topics and its changelogs.
type Topics struct {
	Events string // input: enrich.city-events, keyed by city id

	Couriers        string // features.couriers, compacted, keyed by courier id (SPEC §4.5)
	Restaurants     string // features.restaurants, compacted, keyed by restaurant id (§4.6)
	Pressure        string // city.pressure, keyed by city id (§4.7)
	Sentiment       string // sentiment.windows, keyed by city id (§4.8)
	Alerts          string // alerts, keyed by city id (§4.9)
	Recommendations string // recommendations, keyed by city id (§4.10)

	// Changelogs of the stage's state.
	CityState, CourierState, RestaurantState, OrderState, WaitingReviews, Clock string
}

// NewTopics names the topics with an optional prefix ("" in production; tests use their
// own).
func NewTopics(prefix string) Topics {
	return Topics{
		Events:   prefix + "enrich.city-events",
		Couriers: prefix + "features.couriers", Restaurants: prefix + "features.restaurants",
		Pressure: prefix + "city.pressure", Sentiment: prefix + "sentiment.windows",
		Alerts: prefix + "alerts", Recommendations: prefix + "recommendations",
		CityState: prefix + "enrich.city-state", CourierState: prefix + "enrich.city-couriers",
		RestaurantState: prefix + "enrich.city-restaurants", OrderState: prefix + "enrich.city-orders",
		WaitingReviews: prefix + "enrich.city-reviews", Clock: prefix + "enrich.city-clock",
	}
}

// Outputs are the topics the stage writes, for topic creation.
func (t Topics) Outputs() (history, compacted []string) {
	return []string{t.Pressure, t.Sentiment, t.Alerts, t.Recommendations},
		[]string{t.Couriers, t.Restaurants}
}

// Changelogs are the stage's changelog topics, for topic creation.
func (t Topics) Changelogs() []string {
	return []string{t.CityState, t.CourierState, t.RestaurantState, t.OrderState, t.WaitingReviews, t.Clock}
}

// CourierFeatures is a value of features.couriers: a courier's live features (SPEC §4.5)
// after a change, at its event time.
type CourierFeatures struct {
	CourierID   int32     `json:"courier_id"`
	CityID      int32     `json:"city_id"`
	UpdatedAt   time.Time `json:"updated_at"` // event time of the change
	Status      string    `json:"status"`     // couriers.status: offline, idle, busy
	Vehicle     string    `json:"vehicle"`
	SpeedFactor float64   `json:"speed_factor"`
	// ActiveDeliveries counts the orders assigned to the courier and not yet delivered
	// or cancelled; Load is its display band (busy ≥ 3, overloaded ≥ 5).
	ActiveDeliveries int                  `json:"active_deliveries"`
	Load             pressure.CourierLoad `json:"load"`
	// Available is whether the courier counts in the city's available_couriers (§4.7).
	Available bool `json:"available"`
	// DeliveriesToday counts the courier's deliveries of the local day (Africa/Tunis)
	// of UpdatedAt; AvgSpeedKmhToday is their Σ distance_km ÷ Σ (delivered_at −
	// picked_up_at), in km/h, 0 without a delivery that day.
	DeliveriesToday  int     `json:"deliveries_today"`
	AvgSpeedKmhToday float64 `json:"avg_speed_kmh_today"`
	// The last GPS fix; PositionAt is null before the first.
	Lat        float64    `json:"lat"`
	Lon        float64    `json:"lon"`
	SpeedKmh   float64    `json:"speed_kmh"`
	PositionAt *time.Time `json:"position_at"`
}

// RestaurantFeatures is a value of features.restaurants: a restaurant's live features
// (SPEC §4.6) at the end of a minute. A restaurant is published at a minute's end when
// any of its values changed since it was last published.
type RestaurantFeatures struct {
	RestaurantID int32     `json:"restaurant_id"`
	CityID       int32     `json:"city_id"`
	UpdatedAt    time.Time `json:"updated_at"` // end of the minute
	// OrdersLast15m counts the orders placed in the 15 minutes before updated_at, by minute:
	// placed_at in [updated_at − 15 min, updated_at).
	OrdersLast15m int `json:"orders_last_15m"`
	// AvgPrepMinutesLastHour is the mean of picked_up_at − accepted_at over the pickups of
	// the hour before updated_at (picked_up_at in [updated_at − 1 h, updated_at)), 0 when
	// PickupsLastHour is 0.
	AvgPrepMinutesLastHour float64 `json:"avg_prep_minutes_last_hour"`
	PickupsLastHour        int     `json:"pickups_last_hour"`
	// IsPromoActive: the restaurant's latest order in the last 15 minutes was placed
	// under a promo flag (orders.is_promo).
	IsPromoActive bool `json:"is_promo_active"`
	// IsPaused: restaurants.paused_until is after updated_at.
	IsPaused bool `json:"is_paused"`
	// LoadScore is pressure.LoadScore over the restaurants of the city.
	LoadScore float64 `json:"load_score"`
}

// same reports whether two feature values agree in everything but the time.
func (f RestaurantFeatures) same(g RestaurantFeatures) bool {
	f.UpdatedAt = g.UpdatedAt
	return f == g
}

// CityPressure is a value of city.pressure: one city's pressure for one minute (SPEC
// §4.7), with the counts behind it.
type CityPressure struct {
	CityID int32     `json:"city_id"`
	Minute time.Time `json:"minute"` // start of the minute; the values are as of its end
	pressure.Pressure
	// AvgDeliveryMinutes15 is the mean delivered_at − placed_at of the
	// DeliveriesLast15m orders delivered in the 15 minutes before the minute's end
	// (delivered_at in [end − 15 min, end)).
	AvgDeliveryMinutes15 float64 `json:"avg_delivery_minutes_15m"`
	DeliveriesLast15m    int     `json:"deliveries_last_15m"`
	OrdersPlaced         int     `json:"orders_placed"` // orders placed in the minute
	OnlineCouriers       int     `json:"online_couriers"`
	RosterCouriers       int     `json:"roster_couriers"`
	OverloadedCouriers   int     `json:"overloaded_couriers"`
}

// SentimentWindow is a value of sentiment.windows: a closed 5-minute window of a
// restaurant's or a courier's reviews (SPEC §4.8) in its city.
type SentimentWindow struct {
	CityID int32 `json:"city_id"`
	sentiment.Window
}
