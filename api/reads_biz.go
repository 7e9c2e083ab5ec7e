package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/flavortrend/flavortrend/generate/geo"
	"github.com/flavortrend/flavortrend/internal/delivered"
	"github.com/flavortrend/flavortrend/internal/idbounds"
)

// The business reads of SPEC §8 answer from ClickHouse (sql/clickhouse, docs/clickhouse.md):
// CDC mirrors with FINAL and _is_deleted = 0 within the id bounds of the window (bounds.go),
// fact tables with FINAL (ordered by their event time), revenue and the restaurant and courier
// rankings from internal/delivered, top dishes and the weather reads from internal/placed (sums
// of sealed hours and of the rest live). Every query runs on 18.16 and on current releases:
// one JOIN per SELECT (nested subqueries instead), ANY joins with USING on subqueries that
// have an alias (the current analyzer requires one), no window functions, and no alias that
// shadows a column it is computed from. Times are UTC throughout.

// bizReads registers the business read endpoints.
func (r registrar) bizReads() {
	r.bizRestaurants()
	r.bizCouriers()
	r.bizSentiment()
	r.bizRevenue()
	r.bizRankings()
	r.bizWeather()
	r.bizRoutes()
	r.bizModels()
}

// bizTableRef is a table name in braces in the SQL of this file.
var bizTableRef = regexp.MustCompile(`\{([a-z_]+)\}`)

// bizSQL puts the deployment's database before every {table} of q.
func (d *Deps) bizSQL(q string) string {
	return bizTableRef.ReplaceAllStringFunc(q, func(m string) string { return d.table(m[1 : len(m)-1]) })
}

// bizSelect runs a ClickHouse query and scans its rows into dest (a pointer to a slice of
// structs with ch tags); what names the read in errors.
func (d *Deps) bizSelect(ctx context.Context, what string, dest any, q string, args ...any) error {
	if err := d.CH.Select(ctx, dest, d.bizSQL(q), args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// bizCityFilter keeps the rows of one city, or every row when the city is 0: bind the city id
// twice.
const bizCityFilter = `(? = 0 OR city_id = ?)`

// bizMillimes rounds an amount of TND to the millime.
func bizMillimes(tnd float64) float64 { return math.Round(tnd*1000) / 1000 }

// mean is sum / n, or nil when n is 0 (the reads' averages, ratios and shares).
func mean[N int64 | uint64](sum float64, n N) *float64 {
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}

// bizAOV is the average order value gmv / orders rounded to the millime, nil without orders.
func bizAOV(gmv float64, orders int64) *float64 {
	if orders == 0 {
		return nil
	}
	a := bizMillimes(gmv / float64(orders))
	return &a
}

// WindowBounds is the resolved time window of an answer: [from, to), UTC.
type WindowBounds struct {
	From time.Time `json:"from" doc:"Start of the window, inclusive (UTC)."`
	To   time.Time `json:"to" doc:"End of the window, exclusive (UTC)."`
}

// bizWindow is the window of w at now.
func bizWindow(w *WindowParams, now time.Time) WindowBounds {
	from, to := w.bounds(now)
	return WindowBounds{From: from.UTC(), To: to.UTC()}
}

// ---- Restaurants ----

// LiveRestaurant is a restaurant's latest live features (SPEC §4.6) with its profile.
type LiveRestaurant struct {
	RestaurantID           int32      `json:"restaurant_id" ch:"restaurant_id"`
	CityID                 int32      `json:"city_id" ch:"city_id"`
	Name                   string     `json:"name" ch:"name"`
	Cuisine                string     `json:"cuisine" ch:"cuisine"`
	Rating                 float64    `json:"rating" ch:"rating" doc:"Average customer rating, 1 to 5 (restaurants.rating)."`
	UpdatedAt              time.Time  `json:"updated_at" ch:"updated_at" doc:"End of the minute of the latest published change of the features (UTC): the values are as of then."`
	OrdersLast15m          int32      `json:"orders_last_15m" ch:"orders_last_15m" doc:"Orders placed in [updated_at − 15 min, updated_at)."`
	AvgPrepMinutesLastHour float64    `json:"avg_prep_minutes_last_hour" ch:"avg_prep_minutes_last_hour" doc:"Mean picked_up_at − accepted_at of the pickups in [updated_at − 1 h, updated_at), minutes; 0 without pickups."`
	PickupsLastHour        int32      `json:"pickups_last_hour" ch:"pickups_last_hour" doc:"Pickups in that hour."`
	PromoActive            bool       `json:"is_promo_active" ch:"is_promo_active" doc:"The restaurant's latest order of the 15 minutes before updated_at was a promo order."`
	LoadScore              float64    `json:"load_score" ch:"load_score" doc:"0-100: min(100, 100 × (0.6 × orders_last_15m / the city's max orders_last_15m + 0.4 × avg_prep_minutes_last_hour / max(the city's max avg_prep_minutes_last_hour, 20)))."`
	PausedUntil            *time.Time `json:"paused_until" ch:"paused_until" doc:"restaurants.paused_until (UTC): set by the pause operation; null when never paused or resumed."`
	Paused                 bool       `json:"is_paused" doc:"paused_until is after now (the API's clock): the restaurant takes no orders."`
}

// LiveRestaurantsOutput lists the restaurants' live features.
type LiveRestaurantsOutput struct {
	Body struct {
		AsOf        time.Time        `json:"as_of" doc:"The API's clock, against which is_paused is decided (UTC)."`
		Restaurants []LiveRestaurant `json:"restaurants" doc:"Highest load_score first, then by restaurant_id."`
	}
}

// LiveRestaurantsInput selects the live restaurants.
type LiveRestaurantsInput struct {
	CityParam
	LimitParam
}

// LoadMapPoint is a restaurant on the load map.
type LoadMapPoint struct {
	RestaurantID  int32      `json:"restaurant_id" ch:"restaurant_id"`
	CityID        int32      `json:"city_id" ch:"city_id"`
	Name          string     `json:"name" ch:"name"`
	Lat           float64    `json:"lat" ch:"lat" doc:"Latitude, WGS84 degrees."`
	Lon           float64    `json:"lon" ch:"lon" doc:"Longitude, WGS84 degrees."`
	LoadScore     float64    `json:"load_score" ch:"load_score" doc:"0-100, as in /v1/restaurants/live."`
	OrdersLast15m int32      `json:"orders_last_15m" ch:"orders_last_15m" doc:"Orders placed in the 15 minutes before updated_at."`
	UpdatedAt     time.Time  `json:"updated_at" ch:"updated_at" doc:"As of when (UTC)."`
	PausedUntil   *time.Time `json:"-" ch:"paused_until"`
	Paused        bool       `json:"is_paused" doc:"restaurants.paused_until is after now."`
}

// LoadMapOutput is the load map.
type LoadMapOutput struct {
	Body struct {
		Restaurants []LoadMapPoint `json:"restaurants" doc:"Highest load_score first, then by restaurant_id."`
	}
}

// LoadMapInput selects the load map's city.
type LoadMapInput struct {
	CityParam
}

// RestaurantTrendInput selects a restaurant's trend.
type RestaurantTrendInput struct {
	ID int32 `path:"id" minimum:"1" doc:"The restaurant's id."`
	WindowParams
}

// RestaurantTrendPoint is one published change of a restaurant's features.
type RestaurantTrendPoint struct {
	UpdatedAt              time.Time `json:"updated_at" ch:"updated_at" doc:"End of the minute the features are for (UTC)."`
	OrdersLast15m          int32     `json:"orders_last_15m" ch:"orders_last_15m" doc:"Orders placed in [updated_at − 15 min, updated_at)."`
	AvgPrepMinutesLastHour float64   `json:"avg_prep_minutes_last_hour" ch:"avg_prep_minutes_last_hour" doc:"Mean picked_up_at − accepted_at of the pickups in [updated_at − 1 h, updated_at), minutes; 0 without."`
	PickupsLastHour        int32     `json:"pickups_last_hour" ch:"pickups_last_hour"`
	PromoActive            bool      `json:"is_promo_active" ch:"is_promo_active"`
	Paused                 bool      `json:"is_paused" ch:"is_paused" doc:"restaurants.paused_until was after updated_at."`
	LoadScore              float64   `json:"load_score" ch:"load_score" doc:"0-100, as in /v1/restaurants/live."`
}

// RestaurantTrendOutput is a restaurant's features over time.
type RestaurantTrendOutput struct {
	Body struct {
		WindowBounds
		RestaurantID int32                  `json:"restaurant_id"`
		CityID       int32                  `json:"city_id"`
		Name         string                 `json:"name"`
		Points       []RestaurantTrendPoint `json:"points" doc:"One per published change with updated_at in the window, oldest first: a restaurant's features are published at the end of each minute in which they changed, so the value holds until the next point."`
	}
}

// bizLatestRestaurants joins each restaurant's latest features (features_restaurants FINAL,
// latest updated_at) with its current row of the restaurants mirror; binds the city twice.
const bizLatestRestaurants = `
	FROM (
		SELECT restaurant_id, city_id, updated_at, orders_last_15m, avg_prep_minutes_last_hour,
		       pickups_last_hour, is_promo_active, load_score
		FROM {features_restaurants} FINAL
		WHERE ` + bizCityFilter + `
		ORDER BY updated_at DESC
		LIMIT 1 BY restaurant_id
	) AS latest
	ANY INNER JOIN (
		SELECT id AS restaurant_id, name, cuisine, toFloat64(rating) AS rating, lat, lon, paused_until
		FROM {restaurants} FINAL
		WHERE _is_deleted = 0
	) AS profile USING restaurant_id
	ORDER BY load_score DESC, restaurant_id`

// bizPaused is whether a restaurant paused until until is paused at now.
func bizPaused(until *time.Time, now time.Time) bool { return until != nil && until.After(now) }

func (r registrar) bizRestaurants() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-live-restaurants", Method: http.MethodGet, Path: "/v1/restaurants/live",
		Summary: "Restaurants live", Tags: []string{"Restaurants"},
		Description: "Each restaurant's latest live features (SPEC §4.6: features_restaurants FINAL, the row with the latest updated_at " +
			"per restaurant) with its name, cuisine, rating and paused_until from the restaurants CDC mirror (FINAL, not deleted; " +
			"restaurants without features or deleted are left out). is_paused is paused_until > now on the API's clock, so a pause " +
			"or resume through the API shows as soon as CDC has captured it. Sorted by load_score, highest first."}),
		func(ctx context.Context, in *LiveRestaurantsInput) (*LiveRestaurantsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &LiveRestaurantsOutput{}
			out.Body.AsOf = r.d.now()
			out.Body.Restaurants = []LiveRestaurant{}
			if err := r.d.bizSelect(ctx, "restaurants live", &out.Body.Restaurants, `SELECT restaurant_id, city_id, name, cuisine,
				rating, updated_at, orders_last_15m, avg_prep_minutes_last_hour, pickups_last_hour, is_promo_active, load_score,
				paused_until `+bizLatestRestaurants+` LIMIT ?`, city, city, in.Limit); err != nil {
				return nil, err
			}
			for i := range out.Body.Restaurants {
				x := &out.Body.Restaurants[i]
				x.UpdatedAt = x.UpdatedAt.UTC()
				if x.PausedUntil != nil {
					t := x.PausedUntil.UTC()
					x.PausedUntil = &t
				}
				x.Paused = bizPaused(x.PausedUntil, out.Body.AsOf)
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-restaurant-load-map", Method: http.MethodGet, Path: "/v1/restaurants/load-map",
		Summary: "Restaurant load map", Tags: []string{"Restaurants"},
		Description: "Every restaurant with live features, at its location (restaurants mirror lat/lon), with its latest load_score " +
			"and orders_last_15m (as in /v1/restaurants/live) and whether it is paused now: one point per restaurant for a geomap. " +
			"Sorted by load_score, highest first."}),
		func(ctx context.Context, in *LoadMapInput) (*LoadMapOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &LoadMapOutput{}
			out.Body.Restaurants = []LoadMapPoint{}
			if err := r.d.bizSelect(ctx, "load map", &out.Body.Restaurants, `SELECT restaurant_id, city_id, name, lat, lon,
				load_score, orders_last_15m, updated_at, paused_until `+bizLatestRestaurants, city, city); err != nil {
				return nil, err
			}
			now := r.d.now()
			for i := range out.Body.Restaurants {
				x := &out.Body.Restaurants[i]
				x.UpdatedAt = x.UpdatedAt.UTC()
				x.Paused = bizPaused(x.PausedUntil, now)
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-restaurant-trend", Method: http.MethodGet, Path: "/v1/restaurants/{id}/trend",
		Summary: "Restaurant trend", Tags: []string{"Restaurants"}, Errors: []int{http.StatusNotFound},
		Description: "A restaurant's live features over the window: one point per published change (features_restaurants FINAL, " +
			"updated_at in [from, to)), oldest first. 404 when the restaurants mirror has no such restaurant."}),
		func(ctx context.Context, in *RestaurantTrendInput) (*RestaurantTrendOutput, error) {
			var found []struct {
				CityID int32  `ch:"city_id"`
				Name   string `ch:"name"`
			}
			if err := r.d.bizSelect(ctx, "restaurant trend", &found,
				`SELECT city_id, name FROM {restaurants} FINAL WHERE _is_deleted = 0 AND id = ?`, in.ID); err != nil {
				return nil, err
			}
			if len(found) == 0 {
				return nil, huma.Error404NotFound(fmt.Sprintf("no restaurant %d", in.ID))
			}
			out := &RestaurantTrendOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			out.Body.RestaurantID, out.Body.CityID, out.Body.Name = in.ID, found[0].CityID, found[0].Name
			out.Body.Points = []RestaurantTrendPoint{}
			if err := r.d.bizSelect(ctx, "restaurant trend", &out.Body.Points, `SELECT updated_at, orders_last_15m,
				avg_prep_minutes_last_hour, pickups_last_hour, is_promo_active, is_paused, load_score
				FROM {features_restaurants} FINAL
				WHERE city_id = ? AND restaurant_id = ? AND updated_at >= ? AND updated_at < ?
				ORDER BY updated_at`, found[0].CityID, in.ID, out.Body.From, out.Body.To); err != nil {
				return nil, err
			}
			for i := range out.Body.Points {
				out.Body.Points[i].UpdatedAt = out.Body.Points[i].UpdatedAt.UTC()
			}
			return out, nil
		})
}

// ---- Couriers ----

// LiveCourier is a courier's latest live features (SPEC §4.5) with its profile.
type LiveCourier struct {
	CourierID        int32      `json:"courier_id" ch:"courier_id"`
	CityID           int32      `json:"city_id" ch:"city_id"`
	Name             string     `json:"name" ch:"name" doc:"couriers.name."`
	Vehicle          string     `json:"vehicle" ch:"vehicle" enum:"bicycle,scooter,motorcycle,car" doc:"couriers.vehicle."`
	UpdatedAt        time.Time  `json:"updated_at" ch:"updated_at" doc:"Event time of the courier's latest published change (UTC): the values are as of then."`
	Status           string     `json:"status" ch:"status" enum:"offline,idle,busy"`
	ActiveDeliveries int32      `json:"active_deliveries" ch:"active_deliveries" doc:"Orders assigned to the courier, not yet delivered or cancelled."`
	Load             string     `json:"load" ch:"load" enum:"normal,busy,overloaded" doc:"normal with 0-2 active deliveries, busy with 3-4, overloaded with 5 or more."`
	Available        bool       `json:"available" ch:"available" doc:"Not offline and fewer than 3 active deliveries: counts as available in the city pressure."`
	DeliveriesToday  int32      `json:"deliveries_today" ch:"deliveries_today" doc:"Deliveries of the local day (Africa/Tunis) of updated_at."`
	AvgSpeedKmhToday float64    `json:"avg_speed_kmh_today" ch:"avg_speed_kmh_today" doc:"Σ distance_km / Σ (delivered_at − picked_up_at) of those deliveries, km/h; 0 without."`
	Lat              *float64   `json:"lat" doc:"Latitude of the last GPS fix; null before the first."`
	Lon              *float64   `json:"lon" doc:"Longitude of the last GPS fix; null before the first."`
	SpeedKmh         *float64   `json:"speed_kmh" doc:"Speed at the last GPS fix, km/h; null before the first."`
	PositionAt       *time.Time `json:"position_at" ch:"position_at" doc:"Time of the last GPS fix (UTC); null before the first."`
	FixLat           float64    `json:"-" ch:"lat"`
	FixLon           float64    `json:"-" ch:"lon"`
	FixSpeedKmh      float64    `json:"-" ch:"speed_kmh"`
}

// LiveCouriersInput selects the live couriers.
type LiveCouriersInput struct {
	CityParam
	LimitParam
}

// LiveCouriersOutput lists the couriers' live features.
type LiveCouriersOutput struct {
	Body struct {
		Couriers []LiveCourier `json:"couriers" doc:"Most active deliveries first, then by courier_id."`
	}
}

func (r registrar) bizCouriers() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-live-couriers", Method: http.MethodGet, Path: "/v1/couriers/live",
		Summary: "Couriers live", Tags: []string{"Couriers"},
		Description: "Each courier's latest live features (SPEC §4.5: features_couriers FINAL, the row with the latest updated_at per " +
			"courier) with its name and vehicle from the couriers CDC mirror (FINAL, not deleted; couriers without features or " +
			"deleted are left out). Sorted by active_deliveries, highest first."}),
		func(ctx context.Context, in *LiveCouriersInput) (*LiveCouriersOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &LiveCouriersOutput{}
			out.Body.Couriers = []LiveCourier{}
			if err := r.d.bizSelect(ctx, "couriers live", &out.Body.Couriers, `SELECT courier_id, city_id, name, vehicle, updated_at,
				status, active_deliveries, load, available, deliveries_today, avg_speed_kmh_today, lat, lon, speed_kmh, position_at
				FROM (
					SELECT courier_id, city_id, updated_at, status, active_deliveries, load, available, deliveries_today,
					       avg_speed_kmh_today, lat, lon, speed_kmh, position_at
					FROM {features_couriers} FINAL
					WHERE `+bizCityFilter+`
					ORDER BY updated_at DESC
					LIMIT 1 BY courier_id
				) AS latest
				ANY INNER JOIN (
					SELECT id AS courier_id, name, vehicle FROM {couriers} FINAL WHERE _is_deleted = 0
				) AS profile USING courier_id
				ORDER BY active_deliveries DESC, courier_id
				LIMIT ?`, city, city, in.Limit); err != nil {
				return nil, err
			}
			for i := range out.Body.Couriers {
				x := &out.Body.Couriers[i]
				x.UpdatedAt = x.UpdatedAt.UTC()
				if x.PositionAt != nil {
					t := x.PositionAt.UTC()
					x.PositionAt, x.Lat, x.Lon, x.SpeedKmh = &t, &x.FixLat, &x.FixLon, &x.FixSpeedKmh
				}
			}
			return out, nil
		})
}

// ---- Sentiment ----

// SentimentInput selects the sentiment windows.
type SentimentInput struct {
	WindowParams
	CityParam
	Kind string `query:"kind" default:"restaurant" enum:"restaurant,courier" doc:"Whose reviews: the restaurants' or the couriers'."`
	LimitParam
}

// EntitySentiment is the review sentiment of one restaurant or courier over a window.
type EntitySentiment struct {
	EntityID  int32   `json:"entity_id" ch:"entity_id" doc:"restaurants.id or couriers.id, after kind."`
	CityID    int32   `json:"city_id" ch:"city_id"`
	Name      string  `json:"name" ch:"name" doc:"Its name from the restaurants or couriers mirror; empty when not there."`
	Reviews   int64   `json:"reviews" ch:"reviews" doc:"Reviews in the windows: Σ reviews."`
	AvgRating float64 `json:"avg_rating" ch:"avg_rating" doc:"Mean rating of those reviews, 1-5, weighted by reviews (not a mean of the windows' means): Σ stars / Σ reviews, a window's stars being round(avg_rating × reviews)."`
	Positive  int64   `json:"positive" ch:"positive" doc:"Reviews with sentiment positive."`
	Neutral   int64   `json:"neutral" ch:"neutral" doc:"Reviews with sentiment neutral."`
	Negative  int64   `json:"negative" ch:"negative" doc:"Reviews with sentiment negative."`
}

// SentimentOutput lists the entities' sentiment.
type SentimentOutput struct {
	Body struct {
		WindowBounds
		Kind     string            `json:"kind" enum:"restaurant,courier"`
		Entities []EntitySentiment `json:"entities" doc:"Most reviews first, then by entity_id."`
	}
}

func (r registrar) bizSentiment() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-sentiment", Method: http.MethodGet, Path: "/v1/sentiment",
		Summary: "Review sentiment", Tags: []string{"Sentiment"},
		Description: "Per restaurant (kind=restaurant) or courier (kind=courier), over the 5-minute sentiment windows " +
			"(sentiment_windows FINAL, SPEC §4.8) whose window_start is in [from, to): reviews, the mean rating weighted by " +
			"reviews (Σ stars / Σ reviews, never a mean of the windows' means) and the positive, neutral and negative counts. " +
			"Sorted by reviews, most first."}),
		func(ctx context.Context, in *SentimentInput) (*SentimentOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			names := "{restaurants}" // the mirror that names the entities
			if in.Kind == "courier" {
				names = "{couriers}"
			}
			out := &SentimentOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			out.Body.Kind = in.Kind
			out.Body.Entities = []EntitySentiment{}
			if err := r.d.bizSelect(ctx, "sentiment", &out.Body.Entities, `SELECT entity_id, entity_city AS city_id, name, n AS reviews,
				stars / n AS avg_rating, n_positive AS positive, n_neutral AS neutral, n_negative AS negative
				FROM (
					SELECT entity_id, any(city_id) AS entity_city, toInt64(sum(reviews)) AS n,
					       sum(round(avg_rating * reviews)) AS stars, toInt64(sum(positive)) AS n_positive,
					       toInt64(sum(neutral)) AS n_neutral, toInt64(sum(negative)) AS n_negative
					FROM {sentiment_windows} FINAL
					WHERE entity_kind = ? AND window_start >= ? AND window_start < ? AND `+bizCityFilter+`
					GROUP BY entity_id
				) AS windows
				ANY LEFT JOIN (
					SELECT id AS entity_id, name FROM `+names+` FINAL WHERE _is_deleted = 0
				) AS entity USING entity_id
				ORDER BY reviews DESC, entity_id
				LIMIT ?`, in.Kind, out.Body.From, out.Body.To, city, city, in.Limit); err != nil {
				return nil, err
			}
			return out, nil
		})
}

// ---- Revenue ----

// Revenue is what delivered orders brought in.
type Revenue struct {
	GMV             float64  `json:"gmv_tnd" doc:"Gross merchandise value: Σ total of the delivered orders (food and delivery fee), TND."`
	DeliveredOrders int64    `json:"delivered_orders" doc:"Orders delivered."`
	AOV             *float64 `json:"aov_tnd" doc:"Average order value: gmv_tnd / delivered_orders, TND, rounded to the millime; null without orders."`
}

// RevenueInput selects a revenue window.
type RevenueInput struct {
	WindowParams
	CityParam
}

// RevenueOutput is the revenue of a window.
type RevenueOutput struct {
	Body struct {
		WindowBounds
		Revenue
	}
}

// CityRevenue is a city's revenue over a window.
type CityRevenue struct {
	CityID int32  `json:"city_id"`
	Name   string `json:"name" doc:"The city's name (cities mirror)."`
	Revenue
}

// RevenueByCityInput selects the window of the revenue by city.
type RevenueByCityInput struct {
	WindowParams
}

// RevenueByCityOutput is the revenue of each city.
type RevenueByCityOutput struct {
	Body struct {
		WindowBounds
		Cities []CityRevenue `json:"cities" doc:"The cities with a delivery in the window, highest GMV first, then by city_id."`
	}
}

// WeeklyRevenueInput selects the weeks.
type WeeklyRevenueInput struct {
	Weeks int `query:"weeks" default:"8" minimum:"1" maximum:"52" doc:"How many ISO weeks, the current one included."`
	CityParam
}

// WeekRevenue is one ISO week's revenue.
type WeekRevenue struct {
	ISOYear    int       `json:"iso_year" doc:"ISO 8601 week-numbering year."`
	ISOWeek    int       `json:"iso_week" doc:"ISO 8601 week, 1-53."`
	WeekStart  time.Time `json:"week_start" doc:"Monday 00:00 UTC, inclusive."`
	WeekEnd    time.Time `json:"week_end" doc:"The next Monday 00:00 UTC, exclusive."`
	InProgress bool      `json:"in_progress" doc:"The current week, counted up to now."`
	Revenue
}

// WeeklyRevenueOutput is the revenue per ISO week.
type WeeklyRevenueOutput struct {
	Body struct {
		Weeks []WeekRevenue `json:"weeks" doc:"One per week, oldest first; weeks without deliveries are there with zeros."`
	}
}

// MonthToDateInput selects the month-to-date revenue.
type MonthToDateInput struct {
	CityParam
	Target float64 `query:"target" required:"true" exclusiveMinimum:"0" maximum:"1000000000000" doc:"The month's GMV target, TND (> 0)."`
}

// MonthToDateOutput is the revenue of the month so far against its target.
type MonthToDateOutput struct {
	Body struct {
		MonthStart time.Time `json:"month_start" doc:"First day of the current month, 00:00 UTC."`
		AsOf       time.Time `json:"as_of" doc:"Now (UTC): the month is counted up to here."`
		Revenue
		Target          float64 `json:"target_tnd" doc:"The target given, TND."`
		ProgressRatio   float64 `json:"progress_ratio" doc:"gmv_tnd / target_tnd (a ratio: 1 is the target reached)."`
		DaysElapsed     float64 `json:"days_elapsed" doc:"(as_of − month_start) in days, fractional."`
		DaysInMonth     int     `json:"days_in_month"`
		ProjectedGMV    float64 `json:"projected_gmv_tnd" doc:"Linear projection to the month's end: gmv_tnd / days_elapsed × days_in_month, TND, rounded to the millime; 0 at the month's first instant."`
		ProjectedRatio  float64 `json:"projected_ratio" doc:"projected_gmv_tnd / target_tnd."`
		RemainingPerDay float64 `json:"remaining_per_day_tnd" doc:"max(0, target_tnd − gmv_tnd) / (days_in_month − days_elapsed): the GMV per day still needed, TND, rounded to the millime."`
	}
}

// bizRevenue sums revenue rows.
type bizRevenue struct {
	deliveredOrders, millimes int64
}

func (x *bizRevenue) add(r delivered.Row) {
	x.deliveredOrders += r.DeliveredOrders
	x.millimes += r.Millimes
}

func (x bizRevenue) revenue() Revenue {
	gmv := float64(x.millimes) / 1000
	return Revenue{GMV: gmv, DeliveredOrders: x.deliveredOrders, AOV: bizAOV(gmv, x.deliveredOrders)}
}

// bizDelivered are the sums per period and key of dim of the orders delivered in [from, to)
// (internal/delivered: the sealed hours, and a live sum of the others, added up in
// ClickHouse).
func (d *Deps) bizDelivered(ctx context.Context, dim delivered.Dim, from, to time.Time, city int32, per delivered.Per) ([]delivered.Row, error) {
	rows, err := d.delivered().Sums(ctx, dim, from, to, city, per)
	if err != nil {
		return nil, fmt.Errorf("delivered %s sums: %w", dim, err)
	}
	return rows, nil
}

// bizKeys are the rows' keys, for a has(?, id) filter.
func bizKeys(rows []delivered.Row) []int64 {
	keys := make([]int64, len(rows))
	for i, x := range rows {
		keys[i] = x.Key
	}
	return keys
}

// bizMonday is the start of t's ISO week, 00:00 UTC.
func bizMonday(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// bizRevenueSource says where the revenue endpoints' sums come from.
const bizRevenueSource = "GMV = Σ total (TND) of the orders delivered in [from, to) (orders CDC mirror, newest version, not " +
	"deleted), delivered_orders = their count, AOV = GMV / delivered_orders. Finished hours are read from their seal " +
	"(delivered_city_hour_sealed) while it is valid, the rest is summed from the mirror at the request."

func (r registrar) bizRevenue() {
	const base = "Time base: delivered_at in UTC; delivered orders only (status delivered). "
	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-revenue", Method: http.MethodGet, Path: "/v1/revenue",
		Summary: "Revenue of a window", Tags: []string{"Revenue"}, Description: base + bizRevenueSource}),
		func(ctx context.Context, in *RevenueInput) (*RevenueOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &RevenueOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			rows, err := r.d.bizDelivered(ctx, delivered.City, out.Body.From, out.Body.To, city, delivered.Window)
			if err != nil {
				return nil, err
			}
			var sum bizRevenue
			for _, x := range rows {
				sum.add(x)
			}
			out.Body.Revenue = sum.revenue()
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-revenue-by-city", Method: http.MethodGet, Path: "/v1/revenue/by-city",
		Summary: "Revenue by city", Tags: []string{"Revenue"},
		Description: base + "Per city with a delivery in [from, to): GMV, delivered orders and AOV as in /v1/revenue, with the " +
			"city's name. Sorted by GMV, highest first. " + bizRevenueSource}),
		func(ctx context.Context, in *RevenueByCityInput) (*RevenueByCityOutput, error) {
			out := &RevenueByCityOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			rows, err := r.d.bizDelivered(ctx, delivered.City, out.Body.From, out.Body.To, 0, delivered.Window)
			if err != nil {
				return nil, err
			}
			var names []struct {
				ID   int32  `ch:"id"`
				Name string `ch:"name"`
			}
			if err := r.d.bizSelect(ctx, "revenue by city", &names, `SELECT id, name FROM {cities} FINAL WHERE _is_deleted = 0`); err != nil {
				return nil, err
			}
			byCity := map[int32]*bizRevenue{}
			for _, x := range rows {
				if byCity[x.CityID] == nil {
					byCity[x.CityID] = &bizRevenue{}
				}
				byCity[x.CityID].add(x)
			}
			out.Body.Cities = make([]CityRevenue, 0, len(byCity))
			for id, sum := range byCity {
				c := CityRevenue{CityID: id, Revenue: sum.revenue()}
				for _, n := range names {
					if n.ID == id {
						c.Name = n.Name
					}
				}
				out.Body.Cities = append(out.Body.Cities, c)
			}
			sort.Slice(out.Body.Cities, func(i, j int) bool {
				a, b := out.Body.Cities[i], out.Body.Cities[j]
				if a.GMV != b.GMV {
					return a.GMV > b.GMV
				}
				return a.CityID < b.CityID
			})
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-revenue-weekly", Method: http.MethodGet, Path: "/v1/revenue/weekly",
		Summary: "Revenue per ISO week", Tags: []string{"Revenue"},
		Description: base + "Per ISO week (Monday 00:00 UTC to the next Monday), the last `weeks` weeks up to now: GMV, " +
			"delivered orders and AOV as in /v1/revenue. " + bizRevenueSource}),
		func(ctx context.Context, in *WeeklyRevenueInput) (*WeeklyRevenueOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			now := r.d.now()
			first := bizMonday(now).AddDate(0, 0, -7*(in.Weeks-1))
			rows, err := r.d.bizDelivered(ctx, delivered.City, first, now, city, delivered.Week)
			if err != nil {
				return nil, err
			}
			byWeek := map[int64]*bizRevenue{} // by the Monday's epoch second
			for _, x := range rows {
				w := x.Period.Unix()
				if byWeek[w] == nil {
					byWeek[w] = &bizRevenue{}
				}
				byWeek[w].add(x)
			}
			out := &WeeklyRevenueOutput{}
			out.Body.Weeks = make([]WeekRevenue, in.Weeks)
			for i := range out.Body.Weeks {
				start := first.AddDate(0, 0, 7*i)
				y, w := start.ISOWeek()
				end := start.AddDate(0, 0, 7)
				var sum bizRevenue
				if x := byWeek[start.Unix()]; x != nil {
					sum = *x
				}
				out.Body.Weeks[i] = WeekRevenue{ISOYear: y, ISOWeek: w, WeekStart: start, WeekEnd: end,
					InProgress: now.Before(end), Revenue: sum.revenue()}
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-revenue-month-to-date", Method: http.MethodGet, Path: "/v1/revenue/month-to-date",
		Summary: "Revenue month to date", Tags: []string{"Revenue"},
		Description: base + "The current month (UTC) up to now against a GMV target: GMV, delivered orders and AOV as in " +
			"/v1/revenue, progress_ratio = GMV / target, days elapsed (fractional) and in the month, projected_gmv_tnd = GMV / " +
			"days_elapsed × days_in_month (linear), projected_ratio = projected / target, and the GMV per remaining day needed " +
			"to reach the target. " + bizRevenueSource}),
		func(ctx context.Context, in *MonthToDateInput) (*MonthToDateOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			now := r.d.now()
			start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
			next := start.AddDate(0, 1, 0)
			rows, err := r.d.bizDelivered(ctx, delivered.City, start, now, city, delivered.Window)
			if err != nil {
				return nil, err
			}
			var sum bizRevenue
			for _, x := range rows {
				sum.add(x)
			}
			out := &MonthToDateOutput{}
			b := &out.Body
			b.MonthStart, b.AsOf, b.Revenue, b.Target = start, now, sum.revenue(), in.Target
			b.DaysElapsed = now.Sub(start).Hours() / 24
			b.DaysInMonth = int(next.Sub(start).Hours() / 24)
			b.ProgressRatio = b.GMV / in.Target
			if b.DaysElapsed > 0 {
				b.ProjectedGMV = bizMillimes(b.GMV / b.DaysElapsed * float64(b.DaysInMonth))
			}
			b.ProjectedRatio = b.ProjectedGMV / in.Target
			b.RemainingPerDay = bizMillimes(math.Max(0, in.Target-b.GMV) / (float64(b.DaysInMonth) - b.DaysElapsed))
			return out, nil
		})
}

// ---- Rankings ----

// RankingInput selects a ranking.
type RankingInput struct {
	WindowParams
	CityParam
	LimitParam
}

// TopRestaurant is a restaurant's deliveries over a window.
type TopRestaurant struct {
	RestaurantID    int32   `json:"restaurant_id" ch:"restaurant_id"`
	CityID          int32   `json:"city_id" ch:"city_id"`
	Name            string  `json:"name" ch:"name"`
	Cuisine         string  `json:"cuisine" ch:"cuisine"`
	DeliveredOrders int64   `json:"delivered_orders" ch:"delivered_orders" doc:"Its orders delivered in the window."`
	GMV             float64 `json:"gmv_tnd" ch:"gmv" doc:"Σ total of those orders, TND."`
}

// TopRestaurantsOutput ranks restaurants.
type TopRestaurantsOutput struct {
	Body struct {
		WindowBounds
		Restaurants []TopRestaurant `json:"restaurants" doc:"Most delivered orders first, then highest GMV, then by restaurant_id."`
	}
}

// TopCourier is a courier's deliveries over a window.
type TopCourier struct {
	CourierID          int32   `json:"courier_id" ch:"courier_id"`
	CityID             int32   `json:"city_id" ch:"city_id"`
	Name               string  `json:"name" ch:"name"`
	Vehicle            string  `json:"vehicle" ch:"vehicle"`
	Deliveries         int64   `json:"deliveries" ch:"deliveries" doc:"Orders the courier delivered in the window."`
	AvgDeliveryMinutes float64 `json:"avg_delivery_minutes" ch:"avg_delivery_minutes" doc:"Mean delivered_at − placed_at of those orders, minutes."`
}

// TopCouriersOutput ranks couriers.
type TopCouriersOutput struct {
	Body struct {
		WindowBounds
		Couriers []TopCourier `json:"couriers" doc:"Most deliveries first, then the fastest mean, then by courier_id."`
	}
}

// TopDish is a dish's sales over a window.
type TopDish struct {
	MenuItemID     int32   `json:"menu_item_id" ch:"menu_item_id"`
	Name           string  `json:"name" ch:"name"`
	Category       string  `json:"category" ch:"category" doc:"starter, main, dessert or drink."`
	RestaurantID   int32   `json:"restaurant_id" ch:"restaurant_id"`
	RestaurantName string  `json:"restaurant_name" ch:"restaurant_name"`
	Units          int64   `json:"units" ch:"units" doc:"Σ qty of its order lines."`
	Orders         int64   `json:"orders" ch:"orders" doc:"Orders with the dish."`
	Sales          float64 `json:"sales_tnd" ch:"sales" doc:"Σ qty × unit_price of those lines, TND (food only, no delivery fee)."`
}

// TopDishesOutput ranks dishes.
type TopDishesOutput struct {
	Body struct {
		WindowBounds
		Dishes []TopDish `json:"dishes" doc:"Most units first, then by menu_item_id."`
	}
}

func (r registrar) bizRankings() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-top-restaurants", Method: http.MethodGet, Path: "/v1/top/restaurants",
		Summary: "Top restaurants", Tags: []string{"Rankings"},
		Description: "Restaurants by their orders delivered in [from, to) (orders mirror, status delivered, by delivered_at " +
			"in UTC, as /v1/revenue: sealed hours and a live sum of the rest) and the GMV of those orders (Σ total, TND)."}),
		func(ctx context.Context, in *RankingInput) (*TopRestaurantsOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &TopRestaurantsOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			sums, err := r.d.bizDelivered(ctx, delivered.Restaurant, out.Body.From, out.Body.To, city, delivered.Window)
			if err != nil {
				return nil, err
			}
			sort.Slice(sums, func(i, j int) bool {
				a, b := sums[i], sums[j]
				if a.DeliveredOrders != b.DeliveredOrders {
					return a.DeliveredOrders > b.DeliveredOrders
				}
				if a.Millimes != b.Millimes {
					return a.Millimes > b.Millimes
				}
				return a.Key < b.Key
			})
			sums = sums[:min(len(sums), in.Limit)]
			var names []struct {
				ID      int32  `ch:"id"`
				Name    string `ch:"name"`
				Cuisine string `ch:"cuisine"`
			}
			if len(sums) == 0 { // has([], id) is an error on ClickHouse
				out.Body.Restaurants = []TopRestaurant{}
				return out, nil
			}
			if err := r.d.bizSelect(ctx, "top restaurants", &names, `SELECT id, name, cuisine FROM {restaurants} FINAL
				WHERE _is_deleted = 0 AND has(?, toInt64(id))`, bizKeys(sums)); err != nil {
				return nil, err
			}
			out.Body.Restaurants = make([]TopRestaurant, len(sums))
			for i, x := range sums {
				t := TopRestaurant{RestaurantID: int32(x.Key), CityID: x.CityID, DeliveredOrders: x.DeliveredOrders,
					GMV: float64(x.Millimes) / 1000}
				for _, n := range names {
					if int64(n.ID) == x.Key {
						t.Name, t.Cuisine = n.Name, n.Cuisine
					}
				}
				out.Body.Restaurants[i] = t
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-top-couriers", Method: http.MethodGet, Path: "/v1/top/couriers",
		Summary: "Top couriers", Tags: []string{"Rankings"},
		Description: "Couriers by their deliveries in [from, to) (orders mirror, status delivered, by delivered_at in UTC, as " +
			"/v1/revenue: sealed hours and a live sum of the rest), with the mean delivery minutes (delivered_at − placed_at) " +
			"of those orders."}),
		func(ctx context.Context, in *RankingInput) (*TopCouriersOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &TopCouriersOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			sums, err := r.d.bizDelivered(ctx, delivered.Courier, out.Body.From, out.Body.To, city, delivered.Window)
			if err != nil {
				return nil, err
			}
			sums = slices.DeleteFunc(sums, func(x delivered.Row) bool { return x.Key == 0 }) // no courier
			minutes := func(x delivered.Row) float64 { return float64(x.DeliverySeconds) / float64(x.DeliveredOrders) / 60 }
			sort.Slice(sums, func(i, j int) bool {
				a, b := sums[i], sums[j]
				if a.DeliveredOrders != b.DeliveredOrders {
					return a.DeliveredOrders > b.DeliveredOrders
				}
				if minutes(a) != minutes(b) {
					return minutes(a) < minutes(b)
				}
				return a.Key < b.Key
			})
			sums = sums[:min(len(sums), in.Limit)]
			var names []struct {
				ID      int32  `ch:"id"`
				Name    string `ch:"name"`
				Vehicle string `ch:"vehicle"`
			}
			if len(sums) == 0 { // has([], id) is an error on ClickHouse
				out.Body.Couriers = []TopCourier{}
				return out, nil
			}
			if err := r.d.bizSelect(ctx, "top couriers", &names, `SELECT id, name, vehicle FROM {couriers} FINAL
				WHERE _is_deleted = 0 AND has(?, toInt64(id))`, bizKeys(sums)); err != nil {
				return nil, err
			}
			out.Body.Couriers = make([]TopCourier, len(sums))
			for i, x := range sums {
				c := TopCourier{CourierID: int32(x.Key), CityID: x.CityID, Deliveries: x.DeliveredOrders, AvgDeliveryMinutes: minutes(x)}
				for _, n := range names {
					if int64(n.ID) == x.Key {
						c.Name, c.Vehicle = n.Name, n.Vehicle
					}
				}
				out.Body.Couriers[i] = c
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-top-dishes", Method: http.MethodGet, Path: "/v1/top/dishes",
		Summary: "Top dishes", Tags: []string{"Rankings"},
		Description: "Dishes by units = Σ qty of the order lines (order_items FINAL) of the orders placed in [from, to) and not " +
			"cancelled (orders mirror FINAL, by placed_at in UTC), with the dish's name and category (menu_items FINAL) and " +
			"restaurant, the orders that had it and the sales Σ qty × unit_price. " + bizPlacedSource("placed_dishes_sealed")}),
		func(ctx context.Context, in *RankingInput) (*TopDishesOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &TopDishesOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			out.Body.Dishes = []TopDish{}
			sold, err := r.d.placed().Dishes(ctx, out.Body.From, out.Body.To, city)
			if err != nil {
				return nil, fmt.Errorf("top dishes: %w", err)
			}
			sort.Slice(sold, func(i, j int) bool {
				a, b := sold[i], sold[j]
				if a.Units != b.Units {
					return a.Units > b.Units
				}
				return a.MenuItemID < b.MenuItemID
			})
			sold = sold[:min(len(sold), in.Limit)]
			if len(sold) == 0 { // has([], id) is an error on ClickHouse
				return out, nil
			}
			ids := make([]int64, len(sold))
			for i, x := range sold {
				ids[i] = int64(x.MenuItemID)
			}
			var names []TopDish
			if err := r.d.bizSelect(ctx, "top dishes", &names, `SELECT menu_item_id, name, category, restaurant_id, restaurant_name
				FROM (
					SELECT id AS menu_item_id, name, category, restaurant_id FROM {menu_items} FINAL
					WHERE _is_deleted = 0 AND has(?, toInt64(id))
				) AS dish
				ANY LEFT JOIN (
					SELECT id AS restaurant_id, name AS restaurant_name FROM {restaurants} FINAL WHERE _is_deleted = 0
				) AS restaurant USING restaurant_id`, ids); err != nil {
				return nil, err
			}
			out.Body.Dishes = make([]TopDish, len(sold))
			for i, x := range sold {
				d := TopDish{MenuItemID: x.MenuItemID, Units: x.Units, Orders: x.Orders, Sales: bizMillimes(float64(x.Millimes) / 1000)}
				for _, n := range names {
					if n.MenuItemID == x.MenuItemID {
						d.Name, d.Category, d.RestaurantID, d.RestaurantName = n.Name, n.Category, n.RestaurantID, n.RestaurantName
					}
				}
				out.Body.Dishes[i] = d
			}
			return out, nil
		})
}

// ---- Weather ----

// WeatherWindowInput selects the orders of a window.
type WeatherWindowInput struct {
	WindowParams
	CityParam
}

// ConditionOrders are the orders placed under one weather condition.
type ConditionOrders struct {
	Condition          string   `json:"condition" doc:"Weather condition in force at placement (sunny, cloudy, rainy, stormy, windy, fog, hot, sandstorm); unknown when the city had no observation yet."`
	Orders             int64    `json:"orders" doc:"Orders placed in the window under it."`
	DeliveredOrders    int64    `json:"delivered_orders" doc:"Those of them delivered by now."`
	AvgDeliveryMinutes *float64 `json:"avg_delivery_minutes" doc:"Mean delivered_at − placed_at of the delivered ones, minutes; null without."`
}

// WeatherOrdersOutput lists the orders by weather condition.
type WeatherOrdersOutput struct {
	Body struct {
		WindowBounds
		Conditions []ConditionOrders `json:"conditions" doc:"Most orders first, then by condition."`
	}
}

// ImpactCell is the delivery time of one weather and one period of the day.
type ImpactCell struct {
	Weather            string   `json:"weather" enum:"dry,rain" doc:"rain: the condition at placement was rainy or stormy (is_rain); dry otherwise."`
	Period             string   `json:"period" enum:"rush,non_rush,all" doc:"rush: placed 12:00-14:00 or 19:00-21:00 local time (is_rush_hour); non_rush otherwise; all: both."`
	DeliveredOrders    int64    `json:"delivered_orders" doc:"Orders placed in the window, delivered by now."`
	AvgDeliveryMinutes *float64 `json:"avg_delivery_minutes" doc:"Their mean delivered_at − placed_at, minutes; null without."`
}

// WeatherImpactOutput compares delivery times in rain and dry weather.
type WeatherImpactOutput struct {
	Body struct {
		WindowBounds
		Cells            []ImpactCell `json:"cells" doc:"Six cells, always in this order: dry rush, dry non_rush, dry all, rain rush, rain non_rush, rain all."`
		RainDelayMinutes *float64     `json:"rain_delay_minutes" doc:"avg_delivery_minutes of rain all − of dry all; null when either has no delivery."`
	}
}

// CityWeather is a city's latest weather observation.
type CityWeather struct {
	CityID          int32     `json:"city_id" ch:"city_id"`
	Name            string    `json:"name" ch:"name"`
	Lat             float64   `json:"lat" ch:"lat" doc:"Latitude of the city centre, WGS84 degrees."`
	Lon             float64   `json:"lon" ch:"lon" doc:"Longitude of the city centre, WGS84 degrees."`
	ObservedAt      time.Time `json:"observed_at" ch:"observed_at" doc:"When the observation was made (UTC); in force until the next."`
	Condition       string    `json:"condition" ch:"weather" doc:"sunny, cloudy, rainy, stormy, windy, fog, hot or sandstorm."`
	IsRain          bool      `json:"is_rain" ch:"is_rain" doc:"condition is rainy or stormy."`
	TemperatureC    float64   `json:"temperature_c" ch:"temperature_c" doc:"Air temperature, °C."`
	PrecipitationMm float64   `json:"precipitation_mm" ch:"precipitation_mm" doc:"Precipitation over the last hour, mm."`
	WindKmh         float64   `json:"wind_kmh" ch:"wind_kmh" doc:"Wind speed, km/h."`
}

// CityHeatOutput lists each city's weather.
type CityHeatOutput struct {
	Body struct {
		Cities []CityWeather `json:"cities" doc:"The cities with an observation at or before now, by city_id."`
	}
}

func (r registrar) bizWeather() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-weather-orders", Method: http.MethodGet, Path: "/v1/weather/orders",
		Summary: "Orders by weather", Tags: []string{"Weather"},
		Description: "The orders placed in [from, to) (orders_enriched FINAL, by placed_at in UTC) by the weather condition in force " +
			"at placement (SPEC §4.1), with how many were delivered and their mean delivery minutes (delivered_at − placed_at, " +
			"orders mirror FINAL). " + bizPlacedSource("placed_weather_sealed")}),
		func(ctx context.Context, in *WeatherWindowInput) (*WeatherOrdersOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &WeatherOrdersOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			rows, err := r.d.placed().Weather(ctx, out.Body.From, out.Body.To, city)
			if err != nil {
				return nil, fmt.Errorf("orders by weather: %w", err)
			}
			type sums struct{ orders, delivered, seconds int64 }
			byCondition := map[string]*sums{}
			for _, x := range rows {
				cond := x.Condition
				if cond == "" {
					cond = "unknown"
				}
				c := byCondition[cond]
				if c == nil {
					c = &sums{}
					byCondition[cond] = c
				}
				c.orders, c.delivered, c.seconds = c.orders+x.Orders, c.delivered+x.Delivered, c.seconds+x.Seconds
			}
			out.Body.Conditions = make([]ConditionOrders, 0, len(byCondition))
			for cond, c := range byCondition {
				out.Body.Conditions = append(out.Body.Conditions, ConditionOrders{Condition: cond, Orders: c.orders,
					DeliveredOrders: c.delivered, AvgDeliveryMinutes: mean(float64(c.seconds)/60, c.delivered)})
			}
			sort.Slice(out.Body.Conditions, func(i, j int) bool {
				a, b := out.Body.Conditions[i], out.Body.Conditions[j]
				if a.Orders != b.Orders {
					return a.Orders > b.Orders
				}
				return a.Condition < b.Condition
			})
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-weather-impact", Method: http.MethodGet, Path: "/v1/weather/impact",
		Summary: "Weather impact on delivery time", Tags: []string{"Weather"},
		Description: "Of the orders placed in [from, to) (orders_enriched FINAL) and delivered by now (orders mirror FINAL): the " +
			"mean delivery minutes (delivered_at − placed_at) and count in rain (is_rain: rainy or stormy at placement) and in " +
			"dry weather, each split rush (is_rush_hour: 12:00-14:00 and 19:00-21:00 local) and non-rush, and in total; " +
			"rain_delay_minutes is the difference of the totals' means. " + bizPlacedSource("placed_weather_sealed")}),
		func(ctx context.Context, in *WeatherWindowInput) (*WeatherImpactOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &WeatherImpactOutput{}
			out.Body.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			rows, err := r.d.placed().Weather(ctx, out.Body.From, out.Body.To, city)
			if err != nil {
				return nil, fmt.Errorf("weather impact: %w", err)
			}
			type sums struct{ n, seconds int64 }
			var cell [2][2]sums // [rain][rush]
			for _, x := range rows {
				c := &cell[bizIndex(x.Rain)][bizIndex(x.Rush)]
				c.n, c.seconds = c.n+x.Delivered, c.seconds+x.Seconds
			}
			var means [2]*float64
			for w, weather := range []string{"dry", "rain"} {
				all := sums{cell[w][0].n + cell[w][1].n, cell[w][0].seconds + cell[w][1].seconds}
				for _, p := range []struct {
					name string
					s    sums
				}{{"rush", cell[w][1]}, {"non_rush", cell[w][0]}, {"all", all}} {
					out.Body.Cells = append(out.Body.Cells, ImpactCell{Weather: weather, Period: p.name, DeliveredOrders: p.s.n,
						AvgDeliveryMinutes: mean(float64(p.s.seconds)/60, p.s.n)})
				}
				means[w] = mean(float64(all.seconds)/60, all.n)
			}
			if means[0] != nil && means[1] != nil {
				d := *means[1] - *means[0]
				out.Body.RainDelayMinutes = &d
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-weather-city-heat", Method: http.MethodGet, Path: "/v1/weather/city-heat",
		Summary: "Weather per city", Tags: []string{"Weather"},
		Description: "Each city's latest weather observation at or before now (weather_observations mirror FINAL, the latest " +
			"observed_at per city), with the city's name and centre (cities mirror FINAL): a geomap of the weather in force."}),
		func(ctx context.Context, _ *struct{}) (*CityHeatOutput, error) {
			out := &CityHeatOutput{}
			out.Body.Cities = []CityWeather{}
			if err := r.d.bizSelect(ctx, "city weather", &out.Body.Cities, `SELECT city_id, name, lat, lon, observed_at, weather,
				is_rain, temperature_c, precipitation_mm, wind_kmh
				FROM (
					SELECT city_id, observed_at, condition AS weather, condition IN ('rainy', 'stormy') AS is_rain,
					       toFloat64(temperature_c) AS temperature_c, toFloat64(precipitation_mm) AS precipitation_mm,
					       toFloat64(wind_kmh) AS wind_kmh
					FROM {weather_observations} FINAL
					WHERE _is_deleted = 0 AND observed_at <= ?
					ORDER BY observed_at DESC, id DESC
					LIMIT 1 BY city_id
				) AS latest
				ANY INNER JOIN (SELECT id AS city_id, name, lat, lon FROM {cities} FINAL WHERE _is_deleted = 0) AS city USING city_id
				ORDER BY city_id`, r.d.now()); err != nil {
				return nil, err
			}
			for i := range out.Body.Cities {
				out.Body.Cities[i].ObservedAt = out.Body.Cities[i].ObservedAt.UTC()
			}
			return out, nil
		})
}

// bizPlacedSource says where the sums by placed_at of the top dishes and the weather reads come
// from (internal/placed).
func bizPlacedSource(table string) string {
	return "Finished hours of placed_at are read from their seal (" + table + ") while it is valid, the rest is computed from " +
		"the mirrors at the request."
}

// bizIndex is 1 for true, 0 for false.
func bizIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- Routes ----

// RouteFix is a GPS fix of a courier.
type RouteFix struct {
	RecordedAt  time.Time `json:"recorded_at" ch:"recorded_at" doc:"Fix time (UTC)."`
	Lat         float64   `json:"lat" ch:"lat"`
	Lon         float64   `json:"lon" ch:"lon"`
	SpeedKmh    float64   `json:"speed_kmh" ch:"speed_kmh" doc:"Speed at the fix, km/h."`
	CourierID   int32     `json:"courier_id" ch:"courier_id"`
	OrderID     *int64    `json:"order_id" ch:"order_id" doc:"The order being delivered; null between deliveries."`
	MinutesLate *float64  `json:"minutes_late,omitempty" doc:"Per order only: max(0, (recorded_at − placed_at) in minutes − promised_minutes)."`
}

// OrderRouteInput names an order.
type OrderRouteInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The order's id."`
}

// OrderRouteOutput is an order's route.
type OrderRouteOutput struct {
	Body struct {
		OrderID         int64      `json:"order_id"`
		CityID          int32      `json:"city_id"`
		CourierID       *int32     `json:"courier_id" doc:"The order's courier; null when none is assigned."`
		Status          string     `json:"status" enum:"placed,accepted,picked_up,delivered,cancelled"`
		PlacedAt        time.Time  `json:"placed_at"`
		DeliveredAt     *time.Time `json:"delivered_at" doc:"null until delivered."`
		PromisedMinutes int32      `json:"promised_minutes" doc:"Delivery time promised at placement, minutes."`
		Fixes           []RouteFix `json:"fixes" doc:"The order's GPS fixes by time, each with minutes_late."`
	}
}

// CourierRouteInput selects a courier's fixes.
type CourierRouteInput struct {
	ID int32 `path:"id" minimum:"1" doc:"The courier's id."`
	WindowParams
	Limit int `query:"limit" default:"2000" minimum:"1" maximum:"10000" doc:"Most fixes to return, the earliest first."`
}

// CourierRouteOutput is a courier's route over a window.
type CourierRouteOutput struct {
	Body struct {
		WindowBounds
		CourierID int32      `json:"courier_id"`
		Name      string     `json:"name"`
		Fixes     []RouteFix `json:"fixes" doc:"The courier's GPS fixes with recorded_at in the window, by time."`
		Truncated bool       `json:"truncated" doc:"The window has more fixes than limit: only the first limit are here."`
	}
}

// ActiveRoute is an order on its way.
type ActiveRoute struct {
	OrderID         int64      `json:"order_id" ch:"oid"`
	CityID          int32      `json:"city_id" ch:"city_id"`
	RestaurantID    int32      `json:"restaurant_id" ch:"restaurant_id"`
	CourierID       *int32     `json:"courier_id" ch:"courier_id"`
	PlacedAt        time.Time  `json:"placed_at" ch:"placed_at"`
	PickedUpAt      *time.Time `json:"picked_up_at" ch:"picked_up_at"`
	PromisedMinutes int32      `json:"promised_minutes" ch:"promised_minutes"`
	MinutesLate     float64    `json:"minutes_late" doc:"max(0, (now − placed_at) in minutes − promised_minutes)."`
	DropLat         float64    `json:"drop_lat" ch:"drop_lat" doc:"Drop-off latitude."`
	DropLon         float64    `json:"drop_lon" ch:"drop_lon" doc:"Drop-off longitude."`
	LastFix         *RouteFix  `json:"last_fix" doc:"The order's latest GPS fix; null before the first."`
}

// RoutesListInput selects orders.
type RoutesListInput struct {
	CityParam
	LimitParam
}

// ActiveRoutesInput selects the orders on their way.
type ActiveRoutesInput struct {
	CityParam
	AgeParams
	LimitParam
}

// ActiveRoutesOutput lists the orders on their way.
type ActiveRoutesOutput struct {
	Body struct {
		AsOf   time.Time     `json:"as_of" doc:"The API's clock, against which minutes_late is counted (UTC)."`
		Orders []ActiveRoute `json:"orders" doc:"Picked up and not delivered (status picked_up), oldest placed first."`
	}
}

// RecentRoute is a delivered order's route.
type RecentRoute struct {
	OrderID         int64      `json:"order_id" ch:"id"`
	CityID          int32      `json:"city_id" ch:"city_id"`
	RestaurantID    int32      `json:"restaurant_id" ch:"restaurant_id"`
	CourierID       *int32     `json:"courier_id" ch:"courier_id"`
	PlacedAt        time.Time  `json:"placed_at" ch:"placed_at"`
	PickedUpAt      *time.Time `json:"picked_up_at" ch:"picked_up_at"`
	DeliveredAt     time.Time  `json:"delivered_at" ch:"delivered"`
	DeliveryMinutes float64    `json:"delivery_minutes" doc:"delivered_at − placed_at, minutes."`
	DirectKm        float64    `json:"direct_km" ch:"direct_km" doc:"Great-circle distance restaurant → drop-off (orders.distance_km), km."`
	Fixes           int        `json:"fixes" doc:"GPS fixes of the order."`
	PathKm          float64    `json:"path_km" doc:"Distance covered along the fixes: Σ haversine between consecutive fixes (by recorded_at), km; 0 with fewer than two."`
}

// RecentRoutesOutput lists delivered orders with their routes.
type RecentRoutesOutput struct {
	Body struct {
		Orders []RecentRoute `json:"orders" doc:"The latest delivered first."`
	}
}

// bizFixColumns are the columns of a RouteFix.
const bizFixColumns = `recorded_at, lat, lon, toFloat64(speed_kmh) AS speed_kmh, courier_id, order_id`

func (r registrar) bizRoutes() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-order-route", Method: http.MethodGet, Path: "/v1/routes/orders/{id}",
		Summary: "Route of an order", Tags: []string{"Routes"}, Errors: []int{http.StatusNotFound},
		Description: "The order's GPS fixes (courier_positions mirror FINAL) by time, each with minutes_late = max(0, minutes since " +
			"placed_at − promised_minutes) at the fix. 404 when the order is not in the orders mirror or has no fix."}),
		func(ctx context.Context, in *OrderRouteInput) (*OrderRouteOutput, error) {
			var orders []struct {
				CityID    int32      `ch:"city_id"`
				CourierID *int32     `ch:"courier_id"`
				Status    string     `ch:"status"`
				PlacedAt  time.Time  `ch:"placed_at"`
				Delivered *time.Time `ch:"delivered_at"`
				Promised  int32      `ch:"promised_minutes"`
			}
			if err := r.d.bizSelect(ctx, "order route", &orders, `SELECT city_id, courier_id, status, placed_at, delivered_at,
				promised_minutes FROM {orders} FINAL WHERE _is_deleted = 0 AND id = ?`, in.ID); err != nil {
				return nil, err
			}
			if len(orders) == 0 {
				return nil, huma.Error404NotFound(fmt.Sprintf("no order %d", in.ID))
			}
			o := orders[0]
			out := &OrderRouteOutput{}
			b := &out.Body
			b.OrderID, b.CityID, b.CourierID, b.Status, b.PlacedAt, b.PromisedMinutes = in.ID, o.CityID, o.CourierID, o.Status,
				o.PlacedAt.UTC(), o.Promised
			if o.Delivered != nil {
				t := o.Delivered.UTC()
				b.DeliveredAt = &t
			}
			lo, hi, err := r.d.idsOfOrders(ctx, idbounds.PositionsByOrder, in.ID, in.ID)
			if err != nil {
				return nil, fmt.Errorf("order route: %w", err)
			}
			if err := r.d.bizSelect(ctx, "order route", &b.Fixes, `SELECT `+bizFixColumns+`
				FROM {courier_positions} FINAL
				WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND order_id = ?
				ORDER BY recorded_at, id`, lo, hi, in.ID); err != nil {
				return nil, err
			}
			if len(b.Fixes) == 0 {
				return nil, huma.Error404NotFound(fmt.Sprintf("order %d has no GPS fix", in.ID))
			}
			for i := range b.Fixes {
				f := &b.Fixes[i]
				f.RecordedAt = f.RecordedAt.UTC()
				late := math.Max(0, f.RecordedAt.Sub(b.PlacedAt).Minutes()-float64(b.PromisedMinutes))
				f.MinutesLate = &late
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-courier-route", Method: http.MethodGet, Path: "/v1/routes/couriers/{id}",
		Summary: "Route of a courier", Tags: []string{"Routes"}, Errors: []int{http.StatusNotFound},
		Description: "The courier's GPS fixes (courier_positions mirror FINAL) with recorded_at in [from, to), by time, at most " +
			"limit. 404 when the couriers mirror has no such courier."}),
		func(ctx context.Context, in *CourierRouteInput) (*CourierRouteOutput, error) {
			var couriers []struct {
				Name string `ch:"name"`
			}
			if err := r.d.bizSelect(ctx, "courier route", &couriers,
				`SELECT name FROM {couriers} FINAL WHERE _is_deleted = 0 AND id = ?`, in.ID); err != nil {
				return nil, err
			}
			if len(couriers) == 0 {
				return nil, huma.Error404NotFound(fmt.Sprintf("no courier %d", in.ID))
			}
			out := &CourierRouteOutput{}
			b := &out.Body
			b.WindowBounds = bizWindow(&in.WindowParams, r.d.now())
			b.CourierID, b.Name = in.ID, couriers[0].Name
			b.Fixes = []RouteFix{}
			lo, hi, err := r.d.ids(ctx, idbounds.PositionsByTime, b.From, b.To)
			if err != nil {
				return nil, fmt.Errorf("courier route: %w", err)
			}
			if err := r.d.bizSelect(ctx, "courier route", &b.Fixes, `SELECT `+bizFixColumns+`
				FROM {courier_positions} FINAL
				WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND courier_id = ? AND recorded_at >= ? AND recorded_at < ?
				ORDER BY recorded_at, id
				LIMIT ?`, lo, hi, in.ID, b.From, b.To, in.Limit+1); err != nil {
				return nil, err
			}
			if len(b.Fixes) > in.Limit {
				b.Fixes, b.Truncated = b.Fixes[:in.Limit], true
			}
			for i := range b.Fixes {
				b.Fixes[i].RecordedAt = b.Fixes[i].RecordedAt.UTC()
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-active-routes", Method: http.MethodGet, Path: "/v1/routes/active",
		Summary: "Orders on their way", Tags: []string{"Routes"},
		Description: "Orders placed within max_age, picked up and not delivered (orders mirror FINAL, status picked_up), oldest " +
			"placed first, each with " +
			"its latest GPS fix (courier_positions mirror FINAL) and minutes_late = max(0, minutes since placed_at − " +
			"promised_minutes) at now."}),
		func(ctx context.Context, in *ActiveRoutesInput) (*ActiveRoutesOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &ActiveRoutesOutput{}
			out.Body.AsOf = r.d.now()
			out.Body.Orders = []ActiveRoute{}
			since := in.since(out.Body.AsOf)
			lo, hi, err := r.d.ids(ctx, idbounds.OrdersPlaced, since, farFuture)
			if err != nil {
				return nil, fmt.Errorf("active routes: %w", err)
			}
			// The orders first, then the fixes of only those: the mirror is read once.
			if err := r.d.bizSelect(ctx, "active routes", &out.Body.Orders, `SELECT id AS oid, city_id, restaurant_id, courier_id,
				placed_at, picked_up_at, promised_minutes, drop_lat, drop_lon
				FROM {orders} FINAL
				WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND status = 'picked_up' AND placed_at >= ? AND `+bizCityFilter+`
				ORDER BY placed_at, oid
				LIMIT ?`, lo, hi, since, city, city, in.Limit); err != nil {
				return nil, err
			}
			if len(out.Body.Orders) == 0 {
				return out, nil
			}
			ids := make([]int64, len(out.Body.Orders))
			first, last := out.Body.Orders[0].OrderID, out.Body.Orders[0].OrderID
			for i, o := range out.Body.Orders {
				ids[i] = o.OrderID
				first, last = min(first, o.OrderID), max(last, o.OrderID)
			}
			fixLo, fixHi, err := r.d.idsOfOrders(ctx, idbounds.PositionsByOrder, first, last)
			if err != nil {
				return nil, fmt.Errorf("active routes: %w", err)
			}
			var fixes []RouteFix
			if err := r.d.bizSelect(ctx, "active routes", &fixes, `SELECT `+bizFixColumns+`
				FROM {courier_positions} FINAL
				WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND order_id IS NOT NULL AND has(?, assumeNotNull(order_id))
				ORDER BY recorded_at DESC, id DESC
				LIMIT 1 BY order_id`, fixLo, fixHi, ids); err != nil {
				return nil, err
			}
			latest := make(map[int64]RouteFix, len(fixes))
			for _, f := range fixes {
				latest[*f.OrderID] = f
			}
			for i := range out.Body.Orders {
				x := &out.Body.Orders[i]
				x.PlacedAt = x.PlacedAt.UTC()
				if x.PickedUpAt != nil {
					t := x.PickedUpAt.UTC()
					x.PickedUpAt = &t
				}
				x.MinutesLate = math.Max(0, out.Body.AsOf.Sub(x.PlacedAt).Minutes()-float64(x.PromisedMinutes))
				if f, ok := latest[x.OrderID]; ok {
					id := x.OrderID
					x.LastFix = &RouteFix{RecordedAt: f.RecordedAt.UTC(), Lat: f.Lat, Lon: f.Lon, SpeedKmh: f.SpeedKmh, OrderID: &id}
					if x.CourierID != nil {
						x.LastFix.CourierID = *x.CourierID
					}
				}
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-recent-routes", Method: http.MethodGet, Path: "/v1/routes/recent",
		Summary: "Recent deliveries with their routes", Tags: []string{"Routes"},
		Description: "The latest delivered orders (orders mirror FINAL, status delivered, by delivered_at), each with its number " +
			"of GPS fixes (courier_positions mirror FINAL) and the distance covered along them: Σ haversine between consecutive " +
			"fixes by recorded_at, km (spherical Earth, R = 6371.0088 km), next to the straight restaurant → drop-off distance."}),
		func(ctx context.Context, in *RoutesListInput) (*RecentRoutesOutput, error) {
			city, err := r.d.cityID(ctx, in.City)
			if err != nil {
				return nil, err
			}
			out := &RecentRoutesOutput{}
			// The latest deliveries of the last hour when it has enough of them (then no older one
			// can be among them), else of the last day, else of all time.
			now := r.d.now()
			for _, since := range []time.Time{now.Add(-time.Hour), now.Add(-24 * time.Hour), {}} {
				lo, hi, err := int64(math.MinInt64), int64(math.MaxInt64), error(nil)
				if !since.IsZero() {
					if lo, hi, err = r.d.ids(ctx, idbounds.OrdersDelivered, since, farFuture); err != nil {
						return nil, fmt.Errorf("recent routes: %w", err)
					}
				}
				out.Body.Orders = []RecentRoute{}
				if err := r.d.bizSelect(ctx, "recent routes", &out.Body.Orders, `SELECT id, city_id, restaurant_id, courier_id, placed_at,
					picked_up_at, assumeNotNull(delivered_at) AS delivered, toFloat64(distance_km) AS direct_km
					FROM {orders} FINAL
					WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND status = 'delivered' AND delivered_at IS NOT NULL
						AND `+bizCityFilter+`
					ORDER BY delivered DESC, id DESC
					LIMIT ?`, lo, hi, city, city, in.Limit); err != nil {
					return nil, err
				}
				if len(out.Body.Orders) == in.Limit {
					break
				}
			}
			if len(out.Body.Orders) == 0 {
				return out, nil
			}
			ids := make([]int64, len(out.Body.Orders))
			first, last := out.Body.Orders[0].OrderID, out.Body.Orders[0].OrderID
			for i, o := range out.Body.Orders {
				ids[i] = o.OrderID
				first, last = min(first, o.OrderID), max(last, o.OrderID)
			}
			fixLo, fixHi, err := r.d.idsOfOrders(ctx, idbounds.PositionsByOrder, first, last)
			if err != nil {
				return nil, fmt.Errorf("recent routes: %w", err)
			}
			var fixes []struct {
				OrderID int64   `ch:"oid"`
				Lat     float64 `ch:"lat"`
				Lon     float64 `ch:"lon"`
			}
			if err := r.d.bizSelect(ctx, "recent routes", &fixes, `SELECT assumeNotNull(order_id) AS oid, lat, lon
				FROM {courier_positions} FINAL
				WHERE id >= ? AND id <= ? AND _is_deleted = 0 AND order_id IS NOT NULL AND has(?, assumeNotNull(order_id))
				ORDER BY oid, recorded_at, id`, fixLo, fixHi, ids); err != nil {
				return nil, err
			}
			type path struct {
				n        int
				km       float64
				lat, lon float64
			}
			paths := make(map[int64]*path, len(ids))
			for _, f := range fixes {
				p := paths[f.OrderID]
				if p == nil {
					p = &path{}
					paths[f.OrderID] = p
				} else {
					p.km += geo.HaversineKm(p.lat, p.lon, f.Lat, f.Lon)
				}
				p.n, p.lat, p.lon = p.n+1, f.Lat, f.Lon
			}
			for i := range out.Body.Orders {
				o := &out.Body.Orders[i]
				o.PlacedAt, o.DeliveredAt = o.PlacedAt.UTC(), o.DeliveredAt.UTC()
				if o.PickedUpAt != nil {
					t := o.PickedUpAt.UTC()
					o.PickedUpAt = &t
				}
				o.DeliveryMinutes = o.DeliveredAt.Sub(o.PlacedAt).Minutes()
				if p := paths[o.OrderID]; p != nil {
					o.Fixes, o.PathKm = p.n, p.km
				}
			}
			return out, nil
		})
}

// ---- Models ----

// RegisteredModel is an ETA model version of the registry (eta_models) with its test metrics.
type RegisteredModel struct {
	Version         string    `json:"version" ch:"version"`
	TrainedAt       time.Time `json:"trained_at" ch:"trained_at" doc:"When it was trained (UTC)."`
	TrainFrom       time.Time `json:"train_from" ch:"train_from" doc:"placed_at of the oldest training order (UTC)."`
	TestFrom        time.Time `json:"test_from" ch:"test_from" doc:"placed_at of the oldest test order: the newest 20 % of the window are the test split (UTC)."`
	TestTo          time.Time `json:"test_to" ch:"test_to" doc:"placed_at of the newest test order (UTC)."`
	TrainRows       uint64    `json:"train_rows" ch:"train_rows" doc:"Delivered orders in the training split."`
	TestRows        uint64    `json:"test_rows" ch:"test_rows" doc:"Delivered orders in the test split."`
	FeaturesJSON    string    `json:"-" ch:"features"`
	Features        []string  `json:"features" doc:"The feature names, in vector order."`
	MAE             float64   `json:"mae" ch:"mae" doc:"Mean absolute error on the test split, minutes."`
	P50             float64   `json:"p50" ch:"p50" doc:"Median absolute error on the test split, minutes."`
	P90             float64   `json:"p90" ch:"p90" doc:"90th percentile of the absolute error on the test split, minutes."`
	GlobalMAE       float64   `json:"global_mae" ch:"global_mae" doc:"MAE of the global-mean baseline on the same split, minutes."`
	GlobalP50       float64   `json:"global_p50" ch:"global_p50" doc:"Its median absolute error, minutes."`
	GlobalP90       float64   `json:"global_p90" ch:"global_p90" doc:"Its 90th percentile absolute error, minutes."`
	CityHourMAE     float64   `json:"city_hour_mae" ch:"city_hour_mae" doc:"MAE of the per-city-per-hour mean baseline on the same split, minutes."`
	CityHourP50     float64   `json:"city_hour_p50" ch:"city_hour_p50" doc:"Its median absolute error, minutes."`
	CityHourP90     float64   `json:"city_hour_p90" ch:"city_hour_p90" doc:"Its 90th percentile absolute error, minutes."`
	PreviousVersion string    `json:"previous_version" ch:"current_version" doc:"The model in use when this one was trained; empty when none was."`
	PreviousMAE     float64   `json:"previous_mae" ch:"current_mae" doc:"That model's MAE on the same test split, minutes; 0 when none."`
	PromotedOnTrain bool      `json:"promoted_on_training" ch:"promoted" doc:"It won and was promoted right after training."`
	Decision        string    `json:"decision" ch:"decision" doc:"Why it was or was not promoted, in words."`
	InUse           bool      `json:"in_use" doc:"It is the promoted model now (the latest promotion)."`
}

// ModelsInput bounds the list of models.
type ModelsInput struct {
	LimitParam
}

// ModelsOutput lists the registered models.
type ModelsOutput struct {
	Body struct {
		Promoted string            `json:"promoted_version" doc:"The model in use (the latest of eta_model_promotions); empty when none was promoted."`
		Models   []RegisteredModel `json:"models" doc:"The newest trained first."`
	}
}

// ETAPromotion is a promotion of a model version.
type ETAPromotion struct {
	Version    string    `json:"version" ch:"version"`
	PromotedAt time.Time `json:"promoted_at" ch:"promoted_at" doc:"When it was promoted (UTC)."`
	PromotedBy string    `json:"promoted_by" ch:"promoted_by" doc:"train, or the operator who promoted it."`
	Reason     string    `json:"reason" ch:"reason"`
}

// PromotedModelOutput is the model in use.
type PromotedModelOutput struct {
	Body struct {
		ETAPromotion
		Model *RegisteredModel `json:"model" doc:"The version's registry entry; null when it is missing from eta_models."`
	}
}

// bizModelColumns are the columns of a RegisteredModel.
const bizModelColumns = `version, trained_at, train_from, test_from, test_to, train_rows, test_rows, features, mae, p50, p90,
	global_mae, global_p50, global_p90, city_hour_mae, city_hour_p50, city_hour_p90, current_version, current_mae, promoted,
	decision`

// bizPromotion is the latest promotion, or nil when there was none.
func (d *Deps) bizPromotion(ctx context.Context) (*ETAPromotion, error) {
	var p []ETAPromotion
	if err := d.bizSelect(ctx, "promoted model", &p, `SELECT version, promoted_at, promoted_by, reason
		FROM {eta_model_promotions} ORDER BY promoted_ns DESC LIMIT 1`); err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, nil
	}
	p[0].PromotedAt = p[0].PromotedAt.UTC()
	return &p[0], nil
}

// bizFinishModel decodes a model's features and sets its times in UTC.
func bizFinishModel(m *RegisteredModel, promoted string) error {
	m.TrainedAt, m.TrainFrom, m.TestFrom, m.TestTo = m.TrainedAt.UTC(), m.TrainFrom.UTC(), m.TestFrom.UTC(), m.TestTo.UTC()
	m.InUse = m.Version == promoted
	m.Features = []string{}
	if err := json.Unmarshal([]byte(m.FeaturesJSON), &m.Features); err != nil {
		return fmt.Errorf("model %s features: %w", m.Version, err)
	}
	return nil
}

func (r registrar) bizModels() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "list-models", Method: http.MethodGet, Path: "/v1/models",
		Summary: "ETA model versions", Tags: []string{"Models"},
		Description: "The registered ETA model versions (eta_models, SPEC §5), newest trained first: their test metrics (MAE, " +
			"median and 90th percentile absolute error, minutes) next to the global-mean and per-city-hour baselines' and the " +
			"then-current model's on the same test split, the decision in words, and which one is in use (the latest promotion)."}),
		func(ctx context.Context, in *ModelsInput) (*ModelsOutput, error) {
			p, err := r.d.bizPromotion(ctx)
			if err != nil {
				return nil, err
			}
			out := &ModelsOutput{}
			if p != nil {
				out.Body.Promoted = p.Version
			}
			out.Body.Models = []RegisteredModel{}
			if err := r.d.bizSelect(ctx, "models", &out.Body.Models, `SELECT `+bizModelColumns+`
				FROM {eta_models} ORDER BY trained_at DESC, version DESC LIMIT ?`, in.Limit); err != nil {
				return nil, err
			}
			for i := range out.Body.Models {
				if err := bizFinishModel(&out.Body.Models[i], out.Body.Promoted); err != nil {
					return nil, err
				}
			}
			return out, nil
		})

	huma.Register(r.api, r.op(huma.Operation{OperationID: "get-promoted-model", Method: http.MethodGet, Path: "/v1/models/promoted",
		Summary: "ETA model in use", Tags: []string{"Models"}, Errors: []int{http.StatusNotFound},
		Description: "The model the enrichers predict with: the latest promotion (eta_model_promotions) and the version's registry " +
			"entry with its test metrics. 404 when no model was promoted yet (the enrichers then predict promised_minutes)."}),
		func(ctx context.Context, _ *struct{}) (*PromotedModelOutput, error) {
			p, err := r.d.bizPromotion(ctx)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return nil, huma.Error404NotFound("no ETA model was promoted yet")
			}
			out := &PromotedModelOutput{}
			out.Body.ETAPromotion = *p
			var models []RegisteredModel
			if err := r.d.bizSelect(ctx, "promoted model", &models, `SELECT `+bizModelColumns+`
				FROM {eta_models} WHERE version = ? LIMIT 1`, p.Version); err != nil {
				return nil, err
			}
			if len(models) > 0 {
				if err := bizFinishModel(&models[0], p.Version); err != nil {
					return nil, err
				}
				out.Body.Model = &models[0]
			}
			return out, nil
		})
}
