package api_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/generate/geo"
)

// The business reads over one fixed dataset. The API's clock is now = Friday 2026-11-20
// 12:30 UTC, so the default window (1h) is [11:30, 12:30); the ISO week started on Monday
// 2026-11-16 (week 47) and the month on 2026-11-01. Cities: 1 Tunis and 15 Sfax (ids of the
// PostgreSQL seed, which resolves the city parameter).
//
// Orders (orders mirror; times 2026-11-20 UTC unless given; minutes = delivered − placed):
//
//	id    rest cour city status     placed  picked  delivered  total   km   promised minutes
//	1001  101  11   1    delivered  11:40   11:50   12:10      30.500  2.5  25       30
//	1002  101  12   1    delivered  11:45   11:55   12:20      20.250  3.1  25       35
//	1003  102  11   1    delivered  11:50   12:00   12:14      45.000  1.8  30       24
//	1004  201  21   15   delivered  11:35   11:59   12:15      18.000  4.2  35       40
//	1005  101  12   1    picked_up  12:00   12:10   -          14.000  2.0  20       -
//	1006  102  -    1    cancelled  12:05   -       -          15.000  1.0  30       -
//	1007  102  11   1    delivered  10:00   10:25   11:00      50.000  2.2  40       60
//	1008  201  21   15   delivered  10-31 22:00     10-31 23:00 12.000 1.5  35       60
//	1009  101  11   1    delivered  11-10 12:00     11-10 12:40 25.000 2.7  30       40
//	1011  201  -    15   placed     12:20   -       -          36.000  2.9  30       -
//	1012  201  21   15   delivered  09:30   09:50   10:15      22.000  3.0  40       45
//	1013  201  21   15   picked_up  12:15   12:25   -          19.000  2.4  30       -
//
// 1001 also has an older version (placed) and a replayed copy of its newest; 1002 an older
// version (picked_up).
func TestBizReads(t *testing.T) {
	s := newServer(t)

	t.Run("empty", func(t *testing.T) {
		// Before any data: empty lists (not null), and no promoted model.
		if got := s.bizList(t, "/v1/restaurants/live", "restaurants"); got != "[]" {
			t.Errorf("live restaurants: %s, want []", got)
		}
		if got := s.bizList(t, "/v1/models", "models"); got != "[]" {
			t.Errorf("models: %s, want []", got)
		}
		if code, body := s.do(t, http.MethodGet, "/v1/models/promoted", "", nil); code != http.StatusNotFound {
			t.Errorf("promoted model before any promotion: %d %v, want 404", code, body)
		}
		// No delivery: GMV 0, AOV null.
		if got := s.bizFields(t, "/v1/revenue", "gmv_tnd", "delivered_orders", "aov_tnd"); got != "[0 0 <nil>]" {
			t.Errorf("revenue: %s", got)
		}
	})

	s.bizDataset(t)

	for _, tc := range []struct {
		name, path, list string
		fields           []string
		want             string
	}{
		// Restaurants: latest features per restaurant (101's latest is 12:25, its replayed copy
		// collapsed; 103 is deleted in the mirror). 101 is paused until 13:00 (after now), 102's
		// pause ended at 12:00. By load score: 101 (90), 201 (76), 102 (60).
		{"restaurants live", "/v1/restaurants/live", "restaurants",
			[]string{"restaurant_id", "city_id", "name", "cuisine", "rating", "updated_at", "orders_last_15m",
				"avg_prep_minutes_last_hour", "pickups_last_hour", "is_promo_active", "load_score", "paused_until", "is_paused"},
			"[[101 1 Dar Tunsi tunisian 4.5 2026-11-20T12:25:00Z 6 15 4 true 90 2026-11-20T13:00:00Z true] " +
				"[201 15 Sfax Grill grill 3.8 2026-11-20T12:26:00Z 3 8 1 false 76 <nil> false] " +
				"[102 1 Pizza Roma pizza 4 2026-11-20T12:25:00Z 2 20 2 false 60 2026-11-20T12:00:00Z false]]"},
		{"restaurants live in Tunis, limit 1", "/v1/restaurants/live?city=tunis&limit=1", "restaurants",
			[]string{"restaurant_id", "load_score"}, "[[101 90]]"},
		{"load map of Tunis", "/v1/restaurants/load-map?city=1", "restaurants",
			[]string{"restaurant_id", "name", "lat", "lon", "load_score", "orders_last_15m", "is_paused"},
			"[[101 Dar Tunsi 36.8 10.18 90 6 true] [102 Pizza Roma 36.81 10.19 60 2 false]]"},
		// Trend of 101 over [11:30, 12:30): the 12:20 and 12:25 changes (not 10:00), the feature's
		// own is_paused (as of updated_at).
		{"trend", "/v1/restaurants/101/trend", "points",
			[]string{"updated_at", "orders_last_15m", "avg_prep_minutes_last_hour", "pickups_last_hour", "is_promo_active", "is_paused", "load_score"},
			"[[2026-11-20T12:20:00Z 4 12.5 3 false false 85] [2026-11-20T12:25:00Z 6 15 4 true true 90]]"},
		{"trend over a day", "/v1/restaurants/101/trend?window=1d", "points", []string{"updated_at"},
			"[[2026-11-20T10:00:00Z] [2026-11-20T12:20:00Z] [2026-11-20T12:25:00Z]]"},

		// Couriers: latest features each, name and vehicle from the mirror (11 changed its
		// vehicle to a motorcycle at version 5); 12 has no fix yet. By active deliveries.
		{"couriers live", "/v1/couriers/live", "couriers",
			[]string{"courier_id", "city_id", "name", "vehicle", "status", "active_deliveries", "load", "available",
				"deliveries_today", "avg_speed_kmh_today", "lat", "lon", "speed_kmh", "position_at", "updated_at"},
			"[[11 1 Amine motorcycle busy 3 busy false 5 18.5 36.805 10.185 22.5 2026-11-20T12:27:50Z 2026-11-20T12:28:00Z] " +
				"[21 15 Hedi car busy 1 normal true 7 25 34.741 10.761 30 2026-11-20T12:29:00Z 2026-11-20T12:29:00Z] " +
				"[12 1 Sami bicycle idle 0 normal true 2 12 <nil> <nil> <nil> <nil> 2026-11-20T12:10:00Z]]"},
		{"couriers live in Sfax", "/v1/couriers/live?city=Sfax", "couriers", []string{"courier_id"}, "[[21]]"},

		// Sentiment over [11:30, 12:30): 101 has windows 11:50 (2 reviews, mean 4.5) and 12:00
		// (4 reviews, mean 3.0, replayed once); the 11:25 window is outside. Weighted mean
		// (2×4.5 + 4×3) / 6 = 21/6 = 3.5, not (4.5 + 3) / 2 = 3.75. 201: one window of 3 reviews
		// rated 5, 5, 4: 14/3.
		{"sentiment of restaurants", "/v1/sentiment", "entities",
			[]string{"entity_id", "city_id", "name", "reviews", "avg_rating", "positive", "neutral", "negative"},
			fmt.Sprint([][]any{{101, 1, "Dar Tunsi", 6, 3.5, 3, 1, 2}, {201, 15, "Sfax Grill", 3, 14.0 / 3, 3, 0, 0}})},
		{"sentiment of couriers", "/v1/sentiment?kind=courier", "entities",
			[]string{"entity_id", "name", "reviews", "avg_rating", "positive"}, "[[11 Amine 1 5 1]]"},
		{"sentiment in Sfax", "/v1/sentiment?city=15", "entities", []string{"entity_id", "reviews"}, "[[201 3]]"},

		// Revenue by city over [11:30, 12:30): Tunis 1001 + 1002 + 1003 = 30.5 + 20.25 + 45 =
		// 95.75 in 3 orders (AOV 31.91666… → 31.917); Sfax 1004: 18. 1007 (11:00) and 1012 (10:15)
		// were delivered before the window.
		{"revenue by city", "/v1/revenue/by-city", "cities",
			[]string{"city_id", "name", "gmv_tnd", "delivered_orders", "aov_tnd"},
			"[[1 Tunis 95.75 3 31.917] [15 Sfax 18 1 18]]"},
		// Weeks (rollup, by delivered_at): W44 (from Oct 26) 1008: 12; W45 none; W46 1009: 25;
		// W47 1001 + 1002 + 1003 + 1004 + 1007 + 1012 = 30.5 + 20.25 + 45 + 18 + 50 + 22 =
		// 185.75 in 6 orders, AOV 30.958333… → 30.958 (in progress).
		{"weekly revenue", "/v1/revenue/weekly?weeks=4", "weeks",
			[]string{"iso_year", "iso_week", "week_start", "week_end", "in_progress", "gmv_tnd", "delivered_orders", "aov_tnd"},
			"[[2026 44 2026-10-26T00:00:00Z 2026-11-02T00:00:00Z false 12 1 12] " +
				"[2026 45 2026-11-02T00:00:00Z 2026-11-09T00:00:00Z false 0 0 <nil>] " +
				"[2026 46 2026-11-09T00:00:00Z 2026-11-16T00:00:00Z false 25 1 25] " +
				"[2026 47 2026-11-16T00:00:00Z 2026-11-23T00:00:00Z true 185.75 6 30.958]]"},
		{"weekly revenue of Sfax", "/v1/revenue/weekly?weeks=4&city=Sfax", "weeks",
			[]string{"iso_week", "gmv_tnd", "delivered_orders"}, "[[44 12 1] [45 0 0] [46 0 0] [47 40 2]]"},
		{"weekly revenue, default 8 weeks", "/v1/revenue/weekly", "weeks", []string{"iso_week"},
			"[[40] [41] [42] [43] [44] [45] [46] [47]]"},

		// Rankings over [11:30, 12:30) (delivered_at): 101 delivered 1001 and 1002 (50.75), 102
		// 1003 (45), 201 1004 (18). Couriers: 11 delivered 1001 (30 min) and 1003 (24 min), mean
		// 27; 12 1002 (35); 21 1004 (40).
		{"top restaurants", "/v1/top/restaurants", "restaurants",
			[]string{"restaurant_id", "city_id", "name", "cuisine", "delivered_orders", "gmv_tnd"},
			"[[101 1 Dar Tunsi tunisian 2 50.75] [102 1 Pizza Roma pizza 1 45] [201 15 Sfax Grill grill 1 18]]"},
		{"top couriers", "/v1/top/couriers", "couriers",
			[]string{"courier_id", "city_id", "name", "vehicle", "deliveries", "avg_delivery_minutes"},
			"[[11 1 Amine motorcycle 2 27] [12 1 Sami bicycle 1 35] [21 15 Hedi car 1 40]]"},
		{"top couriers in Tunis, limit 1", "/v1/top/couriers?city=Tunis&limit=1", "couriers", []string{"courier_id"}, "[[11]]"},
		// Dishes of the orders placed in [11:30, 12:30), not cancelled: 1001 (2 × 501, 2 × 502),
		// 1002 (3 × 502, replayed once), 1003 (3 × 601), 1004 (1 × 701), 1005 (1 × 501), 1011
		// (2 × 701), 1013 (1 × 701); not 1006 (cancelled, 5 × 502) nor 1007 (placed at 10:00).
		// 502: 2 + 3 = 5 units, 2 orders, 5 × 3.5 = 17.5; 701: 4 units, 3 orders, 72;
		// 501: 3 units, 2 orders, 36; 601: 3 units, 1 order, 45. 701 was renamed (version 9).
		{"top dishes", "/v1/top/dishes", "dishes",
			[]string{"menu_item_id", "name", "category", "restaurant_id", "restaurant_name", "units", "orders", "sales_tnd"},
			"[[502 Brik starter 101 Dar Tunsi 5 2 17.5] [701 Grilled fish main 201 Sfax Grill 4 3 72] " +
				"[501 Couscous main 101 Dar Tunsi 3 2 36] [601 Margherita main 102 Pizza Roma 3 1 45]]"},
		{"top dishes in Sfax, limit 1", "/v1/top/dishes?city=Sfax&limit=1", "dishes", []string{"menu_item_id", "units"}, "[[701 4]]"},

		// Weather of the orders placed in [11:30, 12:30) (orders_enriched, 1001 replayed once):
		// rainy 1002 (35), 1003 (24), 1005 (open): 3 orders, 2 delivered, mean 29.5; sunny 1001
		// (30), 1004 (40), 1006 (cancelled), 1013 (open): 4, 2, 35; 1011 had no observation.
		{"orders by weather", "/v1/weather/orders", "conditions",
			[]string{"condition", "orders", "delivered_orders", "avg_delivery_minutes"},
			"[[sunny 4 2 35] [rainy 3 2 29.5] [unknown 1 0 <nil>]]"},
		{"orders by weather in Sfax", "/v1/weather/orders?city=Sfax", "conditions",
			[]string{"condition", "orders", "delivered_orders", "avg_delivery_minutes"}, "[[sunny 2 1 40] [unknown 1 0 <nil>]]"},
		// Latest observation at or before now: Tunis 12:00 rainy (replayed once; the 12:45 one
		// is after now), Sfax 12:10 sunny; centres from the cities mirror (Sfax renamed at v2).
		{"city heat", "/v1/weather/city-heat", "cities",
			[]string{"city_id", "name", "lat", "lon", "observed_at", "condition", "is_rain", "temperature_c", "precipitation_mm", "wind_kmh"},
			"[[1 Tunis 36.8008 10.18 2026-11-20T12:00:00Z rainy true 16 2.5 20] " +
				"[15 Sfax 34.7406 10.7603 2026-11-20T12:10:00Z sunny false 24 0 5.5]]"},

		// Route of 1001 (placed 11:40, promised 25 min): fixes at 11:50 (10 min: on time),
		// 11:50:30 (replayed once) and 12:10 (30 min: 5 late).
		{"route of an order", "/v1/routes/orders/1001", "fixes",
			[]string{"recorded_at", "lat", "lon", "speed_kmh", "courier_id", "order_id", "minutes_late"},
			"[[2026-11-20T11:50:00Z 36.8 10.18 0 11 1001 0] [2026-11-20T11:50:30Z 36.801 10.18 20 11 1001 0] " +
				"[2026-11-20T12:10:00Z 36.801 10.181 0 11 1001 5]]"},
		// Courier 11 over [11:30, 12:30): 1001's fixes and one between deliveries; not 10:30.
		{"route of a courier", "/v1/routes/couriers/11", "fixes",
			[]string{"recorded_at", "order_id", "speed_kmh", "minutes_late"},
			"[[2026-11-20T11:50:00Z 1001 0 <nil>] [2026-11-20T11:50:30Z 1001 20 <nil>] " +
				"[2026-11-20T12:10:00Z 1001 0 <nil>] [2026-11-20T12:15:00Z <nil> 5 <nil>]]"},
		// On their way: 1005 (placed 12:00, promised 20: 30 − 20 = 10 late; latest fix 12:20)
		// and 1013 (placed 12:15, promised 30: on time; no fix yet).
		{"active routes", "/v1/routes/active", "orders",
			[]string{"order_id", "courier_id", "city_id", "placed_at", "picked_up_at", "promised_minutes", "minutes_late", "last_fix"},
			"[[1005 12 1 2026-11-20T12:00:00Z 2026-11-20T12:10:00Z 20 10 " +
				"map[courier_id:12 lat:36.805 lon:10.185 order_id:1005 recorded_at:2026-11-20T12:20:00Z speed_kmh:25.5]] " +
				"[1013 21 15 2026-11-20T12:15:00Z 2026-11-20T12:25:00Z 30 0 <nil>]]"},
		{"active routes in Sfax", "/v1/routes/active?city=Sfax", "orders", []string{"order_id"}, "[[1013]]"},
		// Placed within 20 minutes, from 12:10 on: not 1005 (12:00).
		{"active routes of 20 minutes", "/v1/routes/active?max_age=20m", "orders", []string{"order_id"}, "[[1013]]"},
		// The latest 4 delivered: 1002 (12:20), 1004 (12:15), 1003 (12:14, no fix), 1001 (12:10,
		// 3 fixes once the replayed copy is collapsed).
		{"recent routes", "/v1/routes/recent?limit=4", "orders",
			[]string{"order_id", "courier_id", "delivered_at", "fixes", "delivery_minutes", "direct_km"},
			"[[1002 12 2026-11-20T12:20:00Z 2 35 3.1] [1004 21 2026-11-20T12:15:00Z 2 40 4.2] " +
				"[1003 11 2026-11-20T12:14:00Z 0 24 1.8] [1001 11 2026-11-20T12:10:00Z 3 30 2.5]]"},
		{"recent routes in Sfax", "/v1/routes/recent?city=Sfax", "orders", []string{"order_id", "fixes"},
			"[[1004 2] [1012 0] [1008 0]]"},

		// Models, newest trained first; bbbb is in use (an operator promoted it after train had
		// promoted cccc), whatever each one's decision at training.
		{"models", "/v1/models", "models",
			[]string{"version", "trained_at", "mae", "city_hour_mae", "previous_version", "previous_mae", "promoted_on_training", "in_use", "features"},
			"[[eta-cccc 2026-11-20T02:00:00Z 6 8.5 eta-aaaa 6.4 true false [distance_km hour_of_day]] " +
				"[eta-bbbb 2026-11-19T02:00:00Z 7 8.5 eta-aaaa 6.4 false true [distance_km hour_of_day]] " +
				"[eta-aaaa 2026-11-18T02:00:00Z 6.5 8  0 true false [distance_km]]]"},
		{"models, limit 1", "/v1/models?limit=1", "models", []string{"version"}, "[[eta-cccc]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.bizList(t, tc.path, tc.list, tc.fields...); got != tc.want {
				t.Errorf("GET %s:\n got %s\nwant %s", tc.path, got, tc.want)
			}
		})
	}

	t.Run("single answers", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			fields []string
			want   string
		}{
			// The default window [11:30, 12:30): 1001, 1002, 1003, 1004: 113.75 in 4 orders, AOV
			// 28.4375 → 28.438 (to the millime).
			{"/v1/revenue", []string{"from", "to", "gmv_tnd", "delivered_orders", "aov_tnd"},
				"[2026-11-20T11:30:00Z 2026-11-20T12:30:00Z 113.75 4 28.438]"},
			// [10:00, 12:15): 1012 (10:15) 22 + 1007 (11:00) 50 + 1001 (12:10) 30.5 + 1003 (12:14)
			// 45 = 147.5 in 4, AOV 36.875; 1004, delivered at 12:15, is after the window's end.
			{"/v1/revenue?from=2026-11-20T10:00:00Z&to=2026-11-20T12:15:00Z", []string{"gmv_tnd", "delivered_orders", "aov_tnd"},
				"[147.5 4 36.875]"},
			{"/v1/revenue?city=Sfax", []string{"gmv_tnd", "delivered_orders", "aov_tnd"}, "[18 1 18]"},
			// November up to now: 185.75 (week 47) + 25 (1009) = 210.75 in 7 orders (AOV
			// 30.107142… → 30.107); not 1008 (October 31). Days elapsed 19 + 12.5/24 = 937/48 =
			// 19.5208333…; projection 210.75 × 30 × 48/937 = 323.88473… → 323.885; ratio
			// 210.75/1000; per remaining day (1000 − 210.75) / (30 − 937/48) = 789.25 × 48/503 =
			// 75.31610… → 75.316.
			{"/v1/revenue/month-to-date?target=1000",
				[]string{"month_start", "as_of", "gmv_tnd", "delivered_orders", "aov_tnd", "target_tnd", "progress_ratio",
					"days_in_month", "projected_gmv_tnd", "projected_ratio", "remaining_per_day_tnd"},
				"[2026-11-01T00:00:00Z 2026-11-20T12:30:00Z 210.75 7 30.107 1000 0.21075 30 323.885 0.323885 75.316]"},
			// Sfax: 1004 + 1012 = 40 in 2; projection 40 × 1440/937 = 61.47278… → 61.473; per
			// remaining day 60 × 48/503 = 5.72564… → 5.726.
			{"/v1/revenue/month-to-date?target=100&city=Sfax",
				[]string{"gmv_tnd", "delivered_orders", "aov_tnd", "progress_ratio", "projected_gmv_tnd", "remaining_per_day_tnd"},
				"[40 2 20 0.4 61.473 5.726]"},
			// Trend of 101: its name and city.
			{"/v1/restaurants/101/trend", []string{"restaurant_id", "city_id", "name", "from", "to"},
				"[101 1 Dar Tunsi 2026-11-20T11:30:00Z 2026-11-20T12:30:00Z]"},
			{"/v1/routes/orders/1001", []string{"order_id", "city_id", "courier_id", "status", "placed_at", "delivered_at", "promised_minutes"},
				"[1001 1 11 delivered 2026-11-20T11:40:00Z 2026-11-20T12:10:00Z 25]"},
			{"/v1/routes/couriers/11", []string{"courier_id", "name", "truncated"}, "[11 Amine false]"},
			// The first 2 of the courier's 4 fixes in the window.
			{"/v1/routes/couriers/11?limit=2", []string{"truncated"}, "[true]"},
			{"/v1/models", []string{"promoted_version"}, "[eta-bbbb]"},
			{"/v1/models/promoted", []string{"version", "promoted_at", "promoted_by", "reason"},
				"[eta-bbbb 2026-11-20T10:00:00Z olfa back to the model of the 19th]"},
		} {
			if got := s.bizFields(t, tc.path, tc.fields...); got != tc.want {
				t.Errorf("GET %s:\n got %s\nwant %s", tc.path, got, tc.want)
			}
		}
		// The month-to-date days elapsed: 937/48.
		if _, body := s.do(t, http.MethodGet, "/v1/revenue/month-to-date?target=1000", "", nil); !bizNear(body["days_elapsed"], 937.0/48) {
			t.Errorf("days_elapsed %v, want %v", body["days_elapsed"], 937.0/48)
		}
		// The promoted model's registry entry.
		_, body := s.do(t, http.MethodGet, "/v1/models/promoted", "", nil)
		if m, _ := body["model"].(map[string]any); m == nil || m["version"] != "eta-bbbb" || m["mae"] != 7.0 || m["in_use"] != true ||
			m["decision"] != "not promoted: test MAE 7.00 min does not beat eta-aaaa's 6.40 on the same orders" {
			t.Errorf("promoted model: %v", body["model"])
		}
	})

	t.Run("weather impact", func(t *testing.T) {
		// Orders placed in [09:00, 12:30) and delivered: dry rush 1001 (30), 1004 (40); dry
		// non-rush 1012 (45); rain rush 1002 (35), 1003 (24); rain non-rush 1007 (60, stormy).
		// Dry all (30 + 40 + 45)/3 = 115/3, rain all (35 + 24 + 60)/3 = 119/3: rain delays by 4/3.
		_, body := s.do(t, http.MethodGet, "/v1/weather/impact?from=2026-11-20T09:00:00Z&to=2026-11-20T12:30:00Z", "", nil)
		want := []struct {
			weather, period string
			n               float64
			mean            float64
		}{{"dry", "rush", 2, 35}, {"dry", "non_rush", 1, 45}, {"dry", "all", 3, 115.0 / 3},
			{"rain", "rush", 2, 29.5}, {"rain", "non_rush", 1, 60}, {"rain", "all", 3, 119.0 / 3}}
		cells, _ := body["cells"].([]any)
		if len(cells) != len(want) {
			t.Fatalf("cells: %v", body)
		}
		for i, w := range want {
			c := cells[i].(map[string]any)
			if c["weather"] != w.weather || c["period"] != w.period || c["delivered_orders"] != w.n || !bizNear(c["avg_delivery_minutes"], w.mean) {
				t.Errorf("cell %d: %v, want %+v", i, c, w)
			}
		}
		if !bizNear(body["rain_delay_minutes"], 4.0/3) {
			t.Errorf("rain_delay_minutes %v, want 4/3", body["rain_delay_minutes"])
		}
		// Sfax: 1004 (dry rush, 40) and 1012 (dry non-rush, 45); no rain, so no delay.
		if got := s.bizList(t, "/v1/weather/impact?city=Sfax&window=6h", "cells", "weather", "period", "delivered_orders", "avg_delivery_minutes"); got !=
			"[[dry rush 1 40] [dry non_rush 1 45] [dry all 2 42.5] [rain rush 0 <nil>] [rain non_rush 0 <nil>] [rain all 0 <nil>]]" {
			t.Errorf("impact in Sfax: %s", got)
		}
		if got := s.bizFields(t, "/v1/weather/impact?city=Sfax&window=6h", "rain_delay_minutes"); got != "[<nil>]" {
			t.Errorf("rain delay in Sfax: %s", got)
		}
	})

	t.Run("path lengths", func(t *testing.T) {
		// Σ haversine between consecutive fixes: 1002 (36.810, 10.190) → (36.812, 10.190)
		// ≈ 0.2224 km; 1004 (34.74, 10.76) → (34.75, 10.76) ≈ 1.1120 km; 1003 none; 1001
		// (36.800, 10.180) → (36.801, 10.180) → (36.801, 10.181) ≈ 0.1112 + 0.0890 = 0.2002 km.
		want := []float64{geo.HaversineKm(36.810, 10.190, 36.812, 10.190), geo.HaversineKm(34.74, 10.76, 34.75, 10.76), 0,
			geo.HaversineKm(36.800, 10.180, 36.801, 10.180) + geo.HaversineKm(36.801, 10.180, 36.801, 10.181)}
		_, body := s.do(t, http.MethodGet, "/v1/routes/recent?limit=4", "", nil)
		orders, _ := body["orders"].([]any)
		if len(orders) != len(want) {
			t.Fatalf("recent: %v", body)
		}
		for i, w := range want {
			if got := orders[i].(map[string]any)["path_km"]; !bizNear(got, w) {
				t.Errorf("order %d path_km %v, want %v", i, got, w)
			}
		}
		if math.Abs(want[0]-0.2224) > 1e-4 || math.Abs(want[3]-0.2002) > 1e-4 {
			t.Errorf("the hand values are off: %v", want)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{
			"/v1/restaurants/999/trend",
			"/v1/restaurants/103/trend", // deleted in the mirror
			"/v1/routes/orders/9999",    // no such order
			"/v1/routes/orders/1003",    // an order without any GPS fix
			"/v1/routes/couriers/999",
		} {
			if code, body := s.do(t, http.MethodGet, path, "", nil); code != http.StatusNotFound {
				t.Errorf("GET %s: %d %v, want 404", path, code, body)
			}
		}
	})

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct{ path, location string }{
			{"/v1/revenue/weekly?weeks=0", "query.weeks"},
			{"/v1/revenue/weekly?weeks=53", "query.weeks"},
			{"/v1/revenue/month-to-date", "query.target"},
			{"/v1/revenue/month-to-date?target=0", "query.target"},
			{"/v1/revenue/month-to-date?target=-5", "query.target"},
			{"/v1/sentiment?kind=x", "query.kind"},
			{"/v1/restaurants/live?city=Atlantis", "query.city"},
			{"/v1/revenue?city=99", "query.city"},
			{"/v1/revenue/by-city?window=32d", "query.window"},
			{"/v1/top/dishes?limit=0", "query.limit"},
			{"/v1/top/couriers?from=2026-11-20T12:00:00Z&to=2026-11-20T11:00:00Z", "query.to"},
			{"/v1/weather/orders?to=2026-11-20T11:00:00Z", "query.from"},
			{"/v1/couriers/live?limit=1001", "query.limit"},
			{"/v1/restaurants/0/trend", "path.id"},
			{"/v1/restaurants/abc/trend", "path.id"},
			{"/v1/routes/orders/0", "path.id"},
			{"/v1/routes/couriers/11?limit=10001", "query.limit"},
			{"/v1/models?limit=0", "query.limit"},
			{"/v1/routes/active?max_age=1w", "query.max_age"},
		} {
			code, body := s.do(t, http.MethodGet, tc.path, "", nil)
			if code != http.StatusUnprocessableEntity || !bizHasLocation(body, tc.location) {
				t.Errorf("GET %s: %d %v, want 422 at %s", tc.path, code, body, tc.location)
			}
		}
	})
}

// bizList GETs path and returns, for each object of the list under key, its fields in order
// (all the object when none are given), printed with %v.
func (s *server) bizList(t *testing.T, path, key string, fields ...string) string {
	t.Helper()
	code, body := s.do(t, http.MethodGet, path, "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, code, body)
	}
	list, ok := body[key].([]any)
	if !ok {
		t.Fatalf("GET %s: no list %q in %v", path, key, body)
	}
	rows := make([][]any, len(list))
	for i, x := range list {
		obj := x.(map[string]any)
		for _, f := range fields {
			rows[i] = append(rows[i], obj[f])
		}
	}
	return fmt.Sprint(rows)
}

// bizFields GETs path and returns the fields of the answer printed with %v.
func (s *server) bizFields(t *testing.T, path string, fields ...string) string {
	t.Helper()
	code, body := s.do(t, http.MethodGet, path, "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, code, body)
	}
	var got []any
	for _, f := range fields {
		got = append(got, body[f])
	}
	return fmt.Sprint(got)
}

// bizNear is whether a JSON number is want within 1e-9.
func bizNear(got any, want float64) bool {
	f, ok := got.(float64)
	return ok && math.Abs(f-want) < 1e-9
}

// bizHasLocation is whether a problem's errors name location.
func bizHasLocation(body map[string]any, location string) bool {
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m != nil && m["location"] == location {
			return true
		}
	}
	return false
}

// bizDataset loads the fixed dataset of TestBizReads into ClickHouse. Rows written twice
// with the same _version are what an ingester replay writes; FINAL must collapse them.
func (s *server) bizDataset(t *testing.T) {
	t.Helper()
	day := func(hhmmss string) time.Time { // 2026-11-20, UTC
		at, err := time.Parse(time.RFC3339, "2026-11-20T"+hhmmss+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tp := func(at time.Time) *time.Time { return &at }
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }

	s.insert(t, "cities", "id, name, governorate, lat, lon, population, _version",
		[]any{int32(1), "Tunis", "Tunis", 36.8008, 10.18, int32(638000), uint64(1)},
		[]any{int32(15), "Sfax (old)", "Sfax", 34.7406, 10.7603, int32(273000), uint64(1)},
		[]any{int32(15), "Sfax", "Sfax", 34.7406, 10.7603, int32(273000), uint64(2)})
	s.insert(t, "cities", "id, name, governorate, lat, lon, population, _version",
		[]any{int32(1), "Tunis", "Tunis", 36.8008, 10.18, int32(638000), uint64(1)})

	// Restaurants: 101 paused through the API until 13:00 (version 7, replayed), 102 paused
	// until 12:00 (over), 103 deleted (tombstone at version 8).
	const restCols = "id, city_id, name, cuisine, lat, lon, rating, avg_prep_minutes, paused_until, _version, _is_deleted"
	s.insert(t, "restaurants", restCols,
		[]any{int32(101), int32(1), "Dar Tunsi", "tunisian", 36.80, 10.18, "4.50", "12.00", nil, uint64(1), uint8(0)},
		[]any{int32(102), int32(1), "Pizza Roma", "pizza", 36.81, 10.19, "4.00", "15.00", tp(day("12:00:00")), uint64(2), uint8(0)},
		[]any{int32(201), int32(15), "Sfax Grill", "grill", 34.74, 10.76, "3.80", "10.00", nil, uint64(3), uint8(0)},
		[]any{int32(103), int32(1), "Gone Cafe", "cafe", 36.79, 10.17, "3.00", "8.00", nil, uint64(4), uint8(0)},
		[]any{int32(101), int32(1), "Dar Tunsi", "tunisian", 36.80, 10.18, "4.50", "12.00", tp(day("13:00:00")), uint64(7), uint8(0)},
		[]any{int32(103), int32(0), "", "", 0.0, 0.0, "0", "0", nil, uint64(8), uint8(1)})
	s.insert(t, "restaurants", restCols,
		[]any{int32(101), int32(1), "Dar Tunsi", "tunisian", 36.80, 10.18, "4.50", "12.00", tp(day("13:00:00")), uint64(7), uint8(0)})

	// Couriers: 11 changed from scooter to motorcycle (version 5, replayed).
	const courCols = "id, city_id, name, vehicle, vehicle_condition, speed_factor, rating, status, _version"
	s.insert(t, "couriers", courCols,
		[]any{int32(11), int32(1), "Amine", "scooter", int16(3), "1.00", "4.60", "idle", uint64(1)},
		[]any{int32(12), int32(1), "Sami", "bicycle", int16(3), "0.90", "4.20", "idle", uint64(2)},
		[]any{int32(21), int32(15), "Hedi", "car", int16(5), "1.00", "4.80", "busy", uint64(3)},
		[]any{int32(11), int32(1), "Amine", "motorcycle", int16(4), "1.10", "4.60", "busy", uint64(5)})
	s.insert(t, "couriers", courCols,
		[]any{int32(11), int32(1), "Amine", "motorcycle", int16(4), "1.10", "4.60", "busy", uint64(5)})

	// Menu: 701 renamed and repriced at version 9.
	const menuCols = "id, restaurant_id, name, category, price, _version"
	s.insert(t, "menu_items", menuCols,
		[]any{int32(501), int32(101), "Couscous", "main", "12.000", uint64(1)},
		[]any{int32(502), int32(101), "Brik", "starter", "3.500", uint64(2)},
		[]any{int32(601), int32(102), "Margherita", "main", "15.000", uint64(3)},
		[]any{int32(701), int32(201), "Grilled Fish (old)", "main", "17.000", uint64(4)},
		[]any{int32(701), int32(201), "Grilled fish", "main", "18.000", uint64(9)})

	// Orders: see the table of TestBizReads.
	const orderCols = `id, customer_id, restaurant_id, courier_id, city_id, status, placed_at, accepted_at, picked_up_at,
		delivered_at, cancelled_at, items_count, subtotal, delivery_fee, total, distance_km, promised_minutes, drop_lat, drop_lon, _version`
	order := func(id int64, rest int32, courier *int32, city int32, status string, placed time.Time, picked, delivered, cancelled *time.Time,
		total, km string, promised int32, version uint64) []any {
		accepted := placed.Add(2 * time.Minute)
		return []any{id, int32(7), rest, courier, city, status, placed, &accepted, picked, delivered, cancelled, int32(1), total, "0.000",
			total, km, promised, 36.8, 10.18, version}
	}
	oct31 := func(hhmm string) time.Time { return day(hhmm).AddDate(0, 0, -20) }
	nov10 := func(hhmm string) time.Time { return day(hhmm).AddDate(0, 0, -10) }
	s.insert(t, "orders", orderCols,
		order(1001, 101, i32(11), 1, "placed", day("11:40:00"), nil, nil, nil, "30.500", "2.500", 25, 10),
		order(1001, 101, i32(11), 1, "delivered", day("11:40:00"), tp(day("11:50:00")), tp(day("12:10:00")), nil, "30.500", "2.500", 25, 11),
		order(1002, 101, i32(12), 1, "picked_up", day("11:45:00"), tp(day("11:55:00")), nil, nil, "20.250", "3.100", 25, 5),
		order(1002, 101, i32(12), 1, "delivered", day("11:45:00"), tp(day("11:55:00")), tp(day("12:20:00")), nil, "20.250", "3.100", 25, 12),
		order(1003, 102, i32(11), 1, "delivered", day("11:50:00"), tp(day("12:00:00")), tp(day("12:14:00")), nil, "45.000", "1.800", 30, 13),
		order(1004, 201, i32(21), 15, "delivered", day("11:35:00"), tp(day("11:59:00")), tp(day("12:15:00")), nil, "18.000", "4.200", 35, 14),
		order(1005, 101, i32(12), 1, "picked_up", day("12:00:00"), tp(day("12:10:00")), nil, nil, "14.000", "2.000", 20, 15),
		order(1006, 102, nil, 1, "cancelled", day("12:05:00"), nil, nil, tp(day("12:06:00")), "15.000", "1.000", 30, 16),
		order(1007, 102, i32(11), 1, "delivered", day("10:00:00"), tp(day("10:25:00")), tp(day("11:00:00")), nil, "50.000", "2.200", 40, 17),
		order(1008, 201, i32(21), 15, "delivered", oct31("22:00:00"), tp(oct31("22:30:00")), tp(oct31("23:00:00")), nil, "12.000", "1.500", 35, 18),
		order(1009, 101, i32(11), 1, "delivered", nov10("12:00:00"), tp(nov10("12:20:00")), tp(nov10("12:40:00")), nil, "25.000", "2.700", 30, 19),
		order(1011, 201, nil, 15, "placed", day("12:20:00"), nil, nil, nil, "36.000", "2.900", 30, 21),
		order(1012, 201, i32(21), 15, "delivered", day("09:30:00"), tp(day("09:50:00")), tp(day("10:15:00")), nil, "22.000", "3.000", 40, 22),
		order(1013, 201, i32(21), 15, "picked_up", day("12:15:00"), tp(day("12:25:00")), nil, nil, "19.000", "2.400", 30, 23))
	s.insert(t, "orders", orderCols,
		order(1001, 101, i32(11), 1, "delivered", day("11:40:00"), tp(day("11:50:00")), tp(day("12:10:00")), nil, "30.500", "2.500", 25, 11))

	const itemCols = "id, order_id, menu_item_id, qty, unit_price, _version"
	item := func(id, order int64, menu, qty int32, price string) []any {
		return []any{id, order, menu, qty, price, uint64(id)}
	}
	s.insert(t, "order_items", itemCols,
		item(9001, 1001, 501, 2, "12.000"), item(9002, 1001, 502, 2, "3.500"), item(9003, 1002, 502, 3, "3.500"),
		item(9004, 1003, 601, 3, "15.000"), item(9005, 1004, 701, 1, "18.000"), item(9006, 1005, 501, 1, "12.000"),
		item(9007, 1006, 502, 5, "3.500"), item(9008, 1007, 601, 4, "15.000"), item(9009, 1011, 701, 2, "18.000"),
		item(9010, 1013, 701, 1, "18.000"))
	s.insert(t, "order_items", itemCols, item(9003, 1002, 502, 3, "3.500"))

	const weatherCols = "id, city_id, observed_at, condition, temperature_c, precipitation_mm, wind_kmh, _version"
	s.insert(t, "weather_observations", weatherCols,
		[]any{int64(1), int32(1), day("11:00:00"), "sunny", "18.5", "0.0", "10.0", uint64(1)},
		[]any{int64(2), int32(1), day("12:00:00"), "rainy", "16.0", "2.5", "20.0", uint64(2)},
		[]any{int64(3), int32(1), day("12:45:00"), "stormy", "15.0", "8.0", "40.0", uint64(3)},
		[]any{int64(4), int32(15), day("12:10:00"), "sunny", "24.0", "0.0", "5.5", uint64(4)})
	s.insert(t, "weather_observations", weatherCols,
		[]any{int64(2), int32(1), day("12:00:00"), "rainy", "16.0", "2.5", "20.0", uint64(2)})

	const fixCols = "id, courier_id, order_id, recorded_at, lat, lon, speed_kmh, _version"
	fix := func(id int64, courier int32, order *int64, at string, lat, lon float64, speed string) []any {
		return []any{id, courier, order, day(at), lat, lon, speed, uint64(id)}
	}
	s.insert(t, "courier_positions", fixCols,
		fix(1, 11, i64(1001), "11:50:00", 36.800, 10.180, "0.0"),
		fix(2, 11, i64(1001), "11:50:30", 36.801, 10.180, "20.0"),
		fix(3, 11, i64(1001), "12:10:00", 36.801, 10.181, "0.0"),
		fix(4, 12, i64(1002), "11:55:00", 36.810, 10.190, "0.0"),
		fix(5, 12, i64(1002), "12:20:00", 36.812, 10.190, "0.0"),
		fix(6, 12, i64(1005), "12:10:00", 36.800, 10.180, "15.0"),
		fix(7, 12, i64(1005), "12:20:00", 36.805, 10.185, "25.5"),
		fix(8, 11, nil, "12:15:00", 36.802, 10.182, "5.0"),
		fix(9, 21, i64(1004), "12:00:00", 34.740, 10.760, "0.0"),
		fix(10, 21, i64(1004), "12:15:00", 34.750, 10.760, "0.0"),
		fix(11, 11, i64(1007), "10:30:00", 36.790, 10.170, "18.0"))
	s.insert(t, "courier_positions", fixCols, fix(2, 11, i64(1001), "11:50:30", 36.801, 10.180, "20.0"))

	// Restaurant features: 101 at 10:00, 12:20 and 12:25 (replayed); 103 is deleted.
	const restFeatCols = `restaurant_id, city_id, updated_at, orders_last_15m, avg_prep_minutes_last_hour, pickups_last_hour,
		is_promo_active, is_paused, load_score, _version`
	rf := func(id, city int32, at string, orders int32, prep float64, pickups int32, promo, paused uint8, load float64, v uint64) []any {
		return []any{id, city, day(at), orders, prep, pickups, promo, paused, load, v}
	}
	s.insert(t, "features_restaurants", restFeatCols,
		rf(101, 1, "10:00:00", 1, 10, 1, 0, 0, 80, 1),
		rf(101, 1, "12:20:00", 4, 12.5, 3, 0, 0, 85, 2),
		rf(101, 1, "12:25:00", 6, 15, 4, 1, 1, 90, 3),
		rf(102, 1, "12:25:00", 2, 20, 2, 0, 0, 60, 4),
		rf(201, 15, "12:26:00", 3, 8, 1, 0, 0, 76, 5),
		rf(103, 1, "12:25:00", 9, 30, 5, 0, 0, 100, 6))
	s.insert(t, "features_restaurants", restFeatCols, rf(101, 1, "12:25:00", 6, 15, 4, 1, 1, 90, 3))

	// Courier features: the features carry 11's old vehicle; the mirror's wins.
	const courFeatCols = `courier_id, city_id, updated_at, status, vehicle, speed_factor, active_deliveries, load, available,
		deliveries_today, avg_speed_kmh_today, lat, lon, speed_kmh, position_at, _version`
	cf := func(id, city int32, at, status, vehicle string, active int32, load string, avail uint8, today int32, avg, lat, lon, speed float64,
		pos *time.Time, v uint64) []any {
		return []any{id, city, day(at), status, vehicle, 1.0, active, load, avail, today, avg, lat, lon, speed, pos, v}
	}
	s.insert(t, "features_couriers", courFeatCols,
		cf(11, 1, "12:00:00", "idle", "scooter", 0, "normal", 1, 4, 18, 36.79, 10.17, 0, tp(day("11:00:00")), 1),
		cf(11, 1, "12:28:00", "busy", "scooter", 3, "busy", 0, 5, 18.5, 36.805, 10.185, 22.5, tp(day("12:27:50")), 2),
		cf(12, 1, "12:10:00", "idle", "bicycle", 0, "normal", 1, 2, 12, 0, 0, 0, nil, 3),
		cf(21, 15, "12:29:00", "busy", "car", 1, "normal", 1, 7, 25, 34.741, 10.761, 30, tp(day("12:29:00")), 4))
	s.insert(t, "features_couriers", courFeatCols,
		cf(11, 1, "12:28:00", "busy", "scooter", 3, "busy", 0, 5, 18.5, 36.805, 10.185, 22.5, tp(day("12:27:50")), 2))

	const sentCols = "city_id, entity_kind, entity_id, window_start, window_end, reviews, avg_rating, positive, neutral, negative, _version"
	sw := func(city int32, kind string, id int32, start string, reviews int32, avg float64, pos, neu, neg int32, v uint64) []any {
		return []any{city, kind, id, day(start), day(start).Add(5 * time.Minute), reviews, avg, pos, neu, neg, v}
	}
	s.insert(t, "sentiment_windows", sentCols,
		sw(1, "restaurant", 101, "11:25:00", 10, 1, 0, 0, 10, 1),
		sw(1, "restaurant", 101, "11:50:00", 2, 4.5, 2, 0, 0, 2),
		sw(1, "restaurant", 101, "12:00:00", 4, 3, 1, 1, 2, 3),
		sw(15, "restaurant", 201, "12:10:00", 3, 14.0/3, 3, 0, 0, 4),
		sw(1, "courier", 11, "12:05:00", 1, 5, 1, 0, 0, 5))
	s.insert(t, "sentiment_windows", sentCols, sw(1, "restaurant", 101, "12:00:00", 4, 3, 1, 1, 2, 3))

	const enrCols = "order_id, city_id, placed_at, weather_condition, is_rain, is_rush_hour, _version"
	en := func(id, city int64, placed, condition string, rain, rush uint8) []any {
		return []any{id, city, day(placed), condition, rain, rush, uint64(id)}
	}
	s.insert(t, "orders_enriched", enrCols,
		en(1001, 1, "11:40:00", "sunny", 0, 1), en(1002, 1, "11:45:00", "rainy", 1, 1), en(1003, 1, "11:50:00", "rainy", 1, 1),
		en(1004, 15, "11:35:00", "sunny", 0, 1), en(1005, 1, "12:00:00", "rainy", 1, 1), en(1006, 1, "12:05:00", "sunny", 0, 1),
		en(1007, 1, "10:00:00", "stormy", 1, 0), en(1011, 15, "12:20:00", "", 0, 1), en(1012, 15, "09:30:00", "sunny", 0, 0),
		en(1013, 15, "12:15:00", "sunny", 0, 1))
	s.insert(t, "orders_enriched", enrCols, en(1001, 1, "11:40:00", "sunny", 0, 1))

	const modelCols = `version, trained_at, train_from, test_from, test_to, train_rows, test_rows, features, mae, p50, p90,
		global_mae, global_p50, global_p90, city_hour_mae, city_hour_p50, city_hour_p90, current_version, current_mae, promoted,
		decision, artefact`
	model := func(version string, trained time.Time, features string, mae, cityHour float64, current string, currentMAE float64,
		promoted uint8, decision string) []any {
		return []any{version, trained, trained.AddDate(0, 0, -7), trained.AddDate(0, 0, -1), trained, uint64(800), uint64(200), features,
			mae, mae - 1, mae + 5, 12.0, 10.0, 20.0, cityHour, cityHour - 1, cityHour + 6, current, currentMAE, promoted, decision, "{}"}
	}
	s.insert(t, "eta_models", modelCols,
		model("eta-aaaa", day("02:00:00").AddDate(0, 0, -2), `["distance_km"]`, 6.5, 8, "", 0, 1,
			"promoted: test MAE 6.50 min against 8.00 for the per-city-hour baseline (0.81×), no model before"),
		model("eta-bbbb", day("02:00:00").AddDate(0, 0, -1), `["distance_km","hour_of_day"]`, 7, 8.5, "eta-aaaa", 6.4, 0,
			"not promoted: test MAE 7.00 min does not beat eta-aaaa's 6.40 on the same orders"),
		model("eta-cccc", day("02:00:00"), `["distance_km","hour_of_day"]`, 6, 8.5, "eta-aaaa", 6.4, 1,
			"promoted: test MAE 6.00 min against 6.40 for eta-aaaa and 8.50 for the per-city-hour baseline"))
	promotion := func(version string, at time.Time, by, reason string) []any {
		return []any{version, at, at.UnixNano(), by, reason}
	}
	s.insert(t, "eta_model_promotions", "version, promoted_at, promoted_ns, promoted_by, reason",
		promotion("eta-aaaa", day("02:00:00").AddDate(0, 0, -2), "train", "won"),
		promotion("eta-cccc", day("02:00:00"), "train", "won"),
		promotion("eta-bbbb", day("10:00:00"), "olfa", "back to the model of the 19th"))
}
