package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/api"
)

// The cities of the dataset (ids of the seeded reference data).
const (
	opsTunis  int32 = 1
	opsSousse int32 = 12
	opsSfax   int32 = 15
)

// opsAt is a time of the test's day, 2026-11-20, in UTC ("12:29:57.5").
func opsAt(clock string) time.Time {
	return opsTime("2026-11-20T" + clock + "Z")
}

// opsTime parses an RFC 3339 time.
func opsTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// opsMs is t in epoch milliseconds, as _source_ts_ms.
func opsMs(t time.Time) int64 { return t.UnixMilli() }

// opsSeed loads the fixed dataset of the live-operations reads into ClickHouse and
// PostgreSQL. The clock is 12:30:00 UTC (13:30 in Tunis), so the default window (1h) is
// [11:30, 12:30) and today (local) started at 2026-11-19T23:00:00Z. Each table gets rows
// outside the windows that must not count, and a row written again with the same key and
// _version, in an insert of its own, as the ingester does after a crash: it must count once.
// The rollup views orders_per_city_minute and sla_breaches_per_city_minute fill from the
// inserts into orders_enriched and sla_violations.
func opsSeed(t *testing.T, s *server) (actionIDs []int64) {
	t.Helper()
	// Cities mirror: Sfax was renamed (version 2 wins), Sousse's row was replayed.
	s.insert(t, "cities", "id, name, _version",
		[]any{opsTunis, "Tunis", uint64(1)}, []any{opsSousse, "Sousse", uint64(1)},
		[]any{opsSfax, "Sfax (old)", uint64(1)}, []any{opsSfax, "Sfax", uint64(2)})
	s.insert(t, "cities", "id, name, _version", []any{opsSousse, "Sousse", uint64(1)})

	// City pressure: city, minute, open orders, available couriers, demand per courier,
	// pressure, level, orders placed.
	const pcols = "city_id, minute, open_orders, available_couriers, demand_per_courier, pressure, level, orders_placed, _version"
	p := func(city int32, minute string, open, avail int32, dpc, pressure float64, level string, placed int32, v uint64) []any {
		return []any{city, opsAt(minute), open, avail, dpc, pressure, level, placed, v}
	}
	s.insert(t, "city_pressure", pcols,
		p(opsTunis, "11:20:00", 9, 1, 9, 90, "critical", 7, 1), // before the default window; in window=2h
		p(opsTunis, "12:27:00", 4, 4, 1, 23.1, "normal", 2, 2),
		p(opsTunis, "12:28:00", 6, 3, 2, 38.5, "normal", 3, 3),
		p(opsTunis, "12:29:00", 5, 5, 1, 23.1, "normal", 1, 4),
		p(opsSousse, "12:28:00", 9, 2, 4.5, 58.2, "normal", 4, 5),
		p(opsSousse, "12:29:00", 12, 1, 12, 69.4, "normal", 5, 6),
		p(opsSfax, "12:27:00", 14, 0, 28, 88, "critical", 6, 7),
		p(opsSfax, "12:28:00", 12, 1, 12, 84, "warning", 5, 8),
		p(opsSfax, "12:29:00", 10, 2, 5, 79.5, "warning", 3, 9),
		p(opsSfax, "12:30:00", 20, 0, 40, 99, "critical", 9, 10)) // at the window's end: out
	s.insert(t, "city_pressure", pcols, p(opsTunis, "12:28:00", 6, 3, 2, 38.5, "normal", 3, 3)) // replay

	// Enriched orders (the rollup orders_per_city_minute counts them per minute of placed_at).
	const ecols = "order_id, city_id, placed_at, _version"
	e := func(id int64, city int32, placed string, v uint64) []any {
		return []any{id, int64(city), opsAt(placed), v}
	}
	s.insert(t, "orders_enriched", ecols,
		e(101, opsTunis, "12:10:05", 1), e(102, opsTunis, "12:10:40", 2), e(103, opsTunis, "12:29:59", 3),
		e(104, opsTunis, "11:29:59", 4), // minute 11:29: out
		e(201, opsSousse, "11:30:00", 5), e(202, opsSousse, "12:00:00", 6),
		e(301, opsSfax, "12:30:00", 7), // minute 12:30: out
		e(302, opsSfax, "12:15:30", 8))
	s.insert(t, "orders_enriched", ecols, e(101, opsTunis, "12:10:05", 1)) // replay

	// Static SLA violations (threshold 45 min).
	const vcols = "order_id, city_id, kind, placed_at, deadline, observed_at, threshold_minutes, actual_minutes, delay_minutes, _version"
	v := func(id int64, city int32, kind, placed, deadline, observed string, actual float64, ver uint64) []any {
		return []any{id, city, kind, opsTime(placed), opsTime(deadline), opsTime(observed), 45.0, actual, actual - 45, ver}
	}
	s.insert(t, "sla_violations", vcols,
		v(401, opsTunis, "breach", "2026-11-20T11:25:00Z", "2026-11-20T12:10:00Z", "2026-11-20T12:20:00Z", 55, 1),
		v(402, opsTunis, "at_risk", "2026-11-20T11:20:30Z", "2026-11-20T12:05:30Z", "2026-11-20T12:05:30Z", 45, 2),
		// 00:30 local on the 20th: today, not in the last hour.
		v(403, opsSfax, "breach", "2026-11-19T22:40:00Z", "2026-11-19T23:25:00Z", "2026-11-19T23:30:00Z", 50, 3),
		// 23:50 local on the 19th: yesterday.
		v(404, opsSfax, "breach", "2026-11-19T22:00:00Z", "2026-11-19T22:45:00Z", "2026-11-19T22:50:00Z", 50, 4),
		v(405, opsSfax, "breach", "2026-11-20T11:34:10Z", "2026-11-20T12:19:10Z", "2026-11-20T12:29:10Z", 55, 5),
		v(406, opsSousse, "breach", "2026-11-20T11:39:50Z", "2026-11-20T12:24:50Z", "2026-11-20T12:29:50Z", 50, 6))
	s.insert(t, "sla_violations", vcols,
		v(405, opsSfax, "breach", "2026-11-20T11:34:10Z", "2026-11-20T12:19:10Z", "2026-11-20T12:29:10Z", 55, 5)) // replay

	// Prediction outcomes of the delivered orders, and the dynamic violations among them
	// (actual > predicted × 1.25 and actual − predicted ≥ 5): 501, 503, 505, 506, 507.
	const ocols = "order_id, city_id, model_version, placed_at, delivered_at, predicted_minutes, actual_minutes, overrun_minutes, overrun_ratio, abs_error_minutes, _version"
	o := func(id int64, city int32, placed, delivered string, pred, actual float64, v uint64) []any {
		return []any{id, city, "eta-a", opsAt(placed), opsAt(delivered), pred, actual, actual - pred, actual / pred, math.Abs(actual - pred), v}
	}
	outcomes := [][]any{
		o(501, opsTunis, "11:00:00", "11:40:00", 30, 40, 1),  // |e| 10, bucket 11:30
		o(502, opsTunis, "11:30:00", "11:50:00", 25, 20, 2),  // |e| 5, bucket 11:45
		o(503, opsSfax, "11:40:00", "12:20:00", 20, 40, 3),   // |e| 20, bucket 12:15
		o(504, opsSfax, "11:53:00", "12:25:00", 36, 32, 4),   // |e| 4, bucket 12:15
		o(505, opsSousse, "11:20:00", "12:05:00", 30, 45, 5), // |e| 15, bucket 12:00
		o(506, opsTunis, "09:29:00", "11:29:00", 20, 120, 6), // before the hour
		o(507, opsSousse, "11:30:00", "12:30:00", 30, 60, 7), // at its end: out
	}
	asOutcome := func(rows ...[]any) [][]any {
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = slices.Clone(r)
			out[i][1] = int64(r[1].(int32)) // eta_outcomes.city_id is Int64
		}
		return out
	}
	s.insert(t, "eta_outcomes", ocols, asOutcome(outcomes...)...)
	s.insert(t, "eta_outcomes", ocols, asOutcome(outcomes[2])...) // replay of 503
	s.insert(t, "sla_dynamic_violations", ocols, outcomes[0], outcomes[2], outcomes[4], outcomes[5], outcomes[6])
	s.insert(t, "sla_dynamic_violations", ocols, outcomes[2]) // replay of 503

	// Predictions at placement of some open orders.
	const pred = "order_id, city_id, placed_at, predicted_minutes, model_version, _version"
	s.insert(t, "eta_predictions", pred,
		[]any{int64(601), int64(opsTunis), opsAt("12:20:00"), 28.5, "eta-a", uint64(1)},
		[]any{int64(603), int64(opsSfax), opsAt("12:25:00"), 31.0, "eta-a", uint64(2)},
		[]any{int64(607), int64(opsSousse), opsAt("12:05:00"), 45.0, "promised", uint64(3)})
	s.insert(t, "eta_predictions", pred, []any{int64(603), int64(opsSfax), opsAt("12:25:00"), 31.0, "eta-a", uint64(2)}) // replay

	// The orders mirror: one row per change of an order.
	const mcols = "id, customer_id, restaurant_id, courier_id, city_id, status, placed_at, accepted_at, picked_up_at, delivered_at, items_count, total, distance_km, promised_minutes, _version, _source_ts_ms"
	type change struct {
		id                            int64
		restaurant, city              int32
		courier                       *int32
		status                        string
		placed                        string
		accepted, pickedUp, delivered string
		items                         int32
		total, distance               string
		promised                      int32
		version                       uint64
		commit                        string
	}
	m := func(c change) []any {
		at := func(s string) *time.Time {
			if s == "" {
				return nil
			}
			t := opsAt(s)
			return &t
		}
		return []any{c.id, int32(1000 + c.id), c.restaurant, c.courier, c.city, c.status, opsAt(c.placed), at(c.accepted),
			at(c.pickedUp), at(c.delivered), c.items, c.total, c.distance, c.promised, c.version, opsMs(opsAt(c.commit))}
	}
	o601 := change{id: 601, restaurant: 10, city: opsTunis, status: "placed", placed: "12:20:00", items: 2, total: "23.500", distance: "3.200", promised: 40, version: 100, commit: "12:20:00.250"}
	o602 := change{id: 602, restaurant: 11, city: opsTunis, status: "placed", placed: "12:10:00", items: 3, total: "41.000", distance: "5.750", promised: 45, version: 101, commit: "12:10:00"}
	o602b := o602
	o602b.status, o602b.courier, o602b.accepted, o602b.version, o602b.commit = "accepted", new(int32(7)), "12:12:00", 105, "12:12:00"
	o603 := change{id: 603, restaurant: 50, city: opsSfax, status: "placed", placed: "12:25:00", items: 1, total: "12.750", distance: "2.500", promised: 35, version: 102, commit: "12:25:00"}
	o603b := o603
	o603b.status, o603b.courier, o603b.accepted, o603b.pickedUp, o603b.version, o603b.commit = "picked_up", new(int32(40)), "12:26:00", "12:28:00", 110, "12:28:00.125"
	o604 := change{id: 604, restaurant: 51, city: opsSfax, status: "placed", placed: "12:15:00", items: 2, total: "30.000", distance: "4.000", promised: 40, version: 103, commit: "12:15:00"}
	o604b := o604
	o604b.status, o604b.courier, o604b.accepted, o604b.pickedUp, o604b.delivered, o604b.version, o604b.commit = "delivered", new(int32(41)), "12:16:00", "12:20:00", "12:29:00", 111, "12:29:01"
	o605 := change{id: 605, restaurant: 70, city: opsSousse, status: "placed", placed: "12:26:00", items: 1, total: "9.000", distance: "1.000", promised: 30, version: 104, commit: "12:26:00"}
	o606 := change{id: 606, restaurant: 71, city: opsSousse, status: "cancelled", placed: "12:22:00", items: 1, total: "9.000", distance: "1.000", promised: 30, version: 106, commit: "12:23:00"}
	o607 := change{id: 607, restaurant: 72, city: opsSousse, status: "placed", placed: "12:05:00", items: 4, total: "60.000", distance: "7.125", promised: 50, version: 107, commit: "12:05:00"}
	s.insert(t, "orders", mcols, m(o601), m(o602), m(o602b), m(o603), m(o603b), m(o604), m(o604b), m(o605), m(o606), m(o607))
	s.insert(t, "orders", mcols, m(o607)) // replay
	// 605 deleted at the source: a tombstone carries the key only; its commit is the newest.
	s.insert(t, "orders", "id, _version, _is_deleted, _source_ts_ms", []any{int64(605), uint64(112), uint8(1), opsMs(opsAt("12:29:57.5"))})

	// Operator actions.
	for _, a := range []struct{ at, actor, action, target, params string }{
		{"2026-11-20T12:10:00Z", "olfa", "scenario.start", "city:15", `{"kind": "rain", "city": "Sfax", "minutes": 30}`},
		{"2026-11-20T12:12:00Z", "olfa", "recommendation.approve", "recommendation:surge-15-x", `{"city_id": 15}`},
		{"2026-11-20T12:14:00Z", "olfa", "scenario.start", "city:1", `{"kind": "promo", "city": "Tunis"}`},
		{"2026-11-19T22:00:00Z", "olfa", "scenario.start", "city:15", `{"kind": "rain", "city": "Sfax", "minutes": 30}`},
		{"2026-11-20T12:20:00Z", "sami", "alert.mute", "alert:driver_shortage-15-x", `{"city": "SFAX"}`},
		{"2026-11-20T12:22:00Z", "olfa", "restaurant.pause", "restaurant:17", `{"minutes": 10}`},
		{"2026-11-20T12:25:00Z", "olfa", "scenario.cancel", "flag:3", `{"city": "15"}`},
		{"2026-11-20T12:30:00Z", "olfa", "scenario.start", "city:15", `{"kind": "rain", "city": "Sfax", "minutes": 10}`},
	} {
		var id int64
		if err := s.pg.QueryRow(context.Background(), `INSERT INTO operator_actions (at, actor, action, target, params, result)
			VALUES ($1, $2, $3, $4, $5::jsonb, 'ok') RETURNING id`, opsTime(a.at), a.actor, a.action, a.target, a.params).Scan(&id); err != nil {
			t.Fatal(err)
		}
		actionIDs = append(actionIDs, id)
	}
	return actionIDs
}

// TestOpsReads: the live-operations reads on one fixed dataset (opsSeed), each number
// computed by hand; replayed rows count once, rows outside the windows not at all; and a
// bad window, city, limit or kind is a 422 naming the parameter.
func TestOpsReads(t *testing.T) {
	s := newServer(t)
	actions := opsSeed(t, s)
	get := func(t *testing.T, path string, want any) {
		t.Helper()
		code, body := s.do(t, http.MethodGet, path, "", nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, body)
		}
		opsMatch(t, path, body, want)
	}
	hour := opsAt("11:30:00")

	t.Run("kpis", func(t *testing.T) {
		get(t, "/v1/kpis", api.KPIs{AsOf: now,
			// 101 (replayed, once), 102, 103, 201, 202, 302; not 104 (11:29:59), 301 (12:30:00).
			Orders: api.KPIOrders{From: hour, To: now, Minutes: 60, Placed: 6, PerMinute: new(6.0 / 60)},
			// Today from local midnight (23:00Z): breaches 401, 403, 405 (replayed, once), 406;
			// not 404 (23:50 local on the 19th); at risk 402.
			SLAToday: api.KPISLAToday{From: opsTime("2026-11-19T23:00:00Z"), Breaches: 4, AtRisk: 1},
			// |e| of 501, 502, 503 (once), 504, 505: (10 + 5 + 20 + 4 + 15) / 5.
			ETA: api.KPIETA{From: hour, Delivered: 5, MAEMinutes: new(10.8)},
			// The tombstone of 605, committed at 12:29:57.5.
			Freshness: api.KPIFreshness{NewestSourceCommit: new(opsAt("12:29:57.5")), Seconds: new(2.5)}})
		get(t, "/v1/kpis?city=sfax", api.KPIs{AsOf: now, CityID: new(opsSfax),
			Orders:    api.KPIOrders{From: hour, To: now, Minutes: 60, Placed: 1, PerMinute: new(1.0 / 60)}, // 302
			SLAToday:  api.KPISLAToday{From: opsTime("2026-11-19T23:00:00Z"), Breaches: 2},                  // 403, 405
			ETA:       api.KPIETA{From: hour, Delivered: 2, MAEMinutes: new(12.0)},                          // (20 + 4) / 2
			Freshness: api.KPIFreshness{NewestSourceCommit: new(opsAt("12:29:57.5")), Seconds: new(2.5)}})
		// Whole minutes: [12:10, 12:29) holds 101, 102 (minute 12:10) and 302, not 103 (12:29:59).
		get(t, "/v1/kpis?from=2026-11-20T12:10:30Z&to=2026-11-20T12:29:30Z", api.KPIs{AsOf: now,
			Orders:    api.KPIOrders{From: opsAt("12:10:00"), To: opsAt("12:29:00"), Minutes: 19, Placed: 3, PerMinute: new(3.0 / 19)},
			SLAToday:  api.KPISLAToday{From: opsTime("2026-11-19T23:00:00Z"), Breaches: 4, AtRisk: 1},
			ETA:       api.KPIETA{From: hour, Delivered: 5, MAEMinutes: new(10.8)},
			Freshness: api.KPIFreshness{NewestSourceCommit: new(opsAt("12:29:57.5")), Seconds: new(2.5)}})
	})

	t.Run("live orders", func(t *testing.T) {
		o603 := api.LiveOrder{OrderID: 603, CityID: opsSfax, RestaurantID: 50, CourierID: new(int32(40)), Status: "picked_up",
			PlacedAt: opsAt("12:25:00"), AcceptedAt: new(opsAt("12:26:00")), PickedUpAt: new(opsAt("12:28:00")), AgeMinutes: 5,
			ItemsCount: 1, Total: 12.75, DistanceKm: 2.5, PromisedMinutes: 35, PredictedMinutes: new(31.0), ModelVersion: new("eta-a")}
		o601 := api.LiveOrder{OrderID: 601, CityID: opsTunis, RestaurantID: 10, Status: "placed", PlacedAt: opsAt("12:20:00"),
			AgeMinutes: 10, ItemsCount: 2, Total: 23.5, DistanceKm: 3.2, PromisedMinutes: 40, PredictedMinutes: new(28.5), ModelVersion: new("eta-a")}
		o602 := api.LiveOrder{OrderID: 602, CityID: opsTunis, RestaurantID: 11, CourierID: new(int32(7)), Status: "accepted",
			PlacedAt: opsAt("12:10:00"), AcceptedAt: new(opsAt("12:12:00")), AgeMinutes: 20, ItemsCount: 3, Total: 41, DistanceKm: 5.75, PromisedMinutes: 45}
		o607 := api.LiveOrder{OrderID: 607, CityID: opsSousse, RestaurantID: 72, Status: "placed", PlacedAt: opsAt("12:05:00"),
			AgeMinutes: 25, ItemsCount: 4, Total: 60, DistanceKm: 7.125, PromisedMinutes: 50, PredictedMinutes: new(45.0), ModelVersion: new("promised")}
		// Not 604 (delivered), 605 (deleted), 606 (cancelled); 607 once.
		get(t, "/v1/orders/live", api.LiveOrders{AsOf: now, Orders: []api.LiveOrder{o603, o601, o602, o607}})
		get(t, "/v1/orders/live?limit=2", api.LiveOrders{AsOf: now, Orders: []api.LiveOrder{o603, o601}})
		get(t, "/v1/orders/live?city=Sousse", api.LiveOrders{AsOf: now, Orders: []api.LiveOrder{o607}})
		get(t, "/v1/orders/live?city=2", api.LiveOrders{AsOf: now, Orders: []api.LiveOrder{}})
		// Placed within 20 minutes, from 12:10:00 on: not 607 (12:05).
		get(t, "/v1/orders/live?max_age=20m", api.LiveOrders{AsOf: now, Orders: []api.LiveOrder{o603, o601, o602}})
	})

	t.Run("sla violations", func(t *testing.T) {
		v := func(id int64, city int32, kind, placed, deadline, observed string, actual float64) api.SLAViolation {
			return api.SLAViolation{OrderID: id, CityID: city, Kind: kind, PlacedAt: opsTime(placed), Deadline: opsTime(deadline),
				ObservedAt: opsTime(observed), ThresholdMinutes: 45, ActualMinutes: actual, DelayMinutes: actual - 45}
		}
		v401 := v(401, opsTunis, "breach", "2026-11-20T11:25:00Z", "2026-11-20T12:10:00Z", "2026-11-20T12:20:00Z", 55)
		v402 := v(402, opsTunis, "at_risk", "2026-11-20T11:20:30Z", "2026-11-20T12:05:30Z", "2026-11-20T12:05:30Z", 45)
		v403 := v(403, opsSfax, "breach", "2026-11-19T22:40:00Z", "2026-11-19T23:25:00Z", "2026-11-19T23:30:00Z", 50)
		v404 := v(404, opsSfax, "breach", "2026-11-19T22:00:00Z", "2026-11-19T22:45:00Z", "2026-11-19T22:50:00Z", 50)
		v405 := v(405, opsSfax, "breach", "2026-11-20T11:34:10Z", "2026-11-20T12:19:10Z", "2026-11-20T12:29:10Z", 55)
		v406 := v(406, opsSousse, "breach", "2026-11-20T11:39:50Z", "2026-11-20T12:24:50Z", "2026-11-20T12:29:50Z", 50)
		get(t, "/v1/sla/violations", api.SLAViolations{From: hour, To: now, Violations: []api.SLAViolation{v406, v405, v401, v402}})
		get(t, "/v1/sla/violations?kind=breach&limit=2", api.SLAViolations{From: hour, To: now, Violations: []api.SLAViolation{v406, v405}})
		get(t, "/v1/sla/violations?kind=at_risk", api.SLAViolations{From: hour, To: now, Violations: []api.SLAViolation{v402}})
		get(t, "/v1/sla/violations?city=15&window=24h", api.SLAViolations{From: now.Add(-24 * time.Hour), To: now,
			Violations: []api.SLAViolation{v405, v403, v404}})
	})

	t.Run("dynamic sla", func(t *testing.T) {
		d := func(id int64, city int32, placed, delivered string, pred, actual float64) api.DynamicViolation {
			return api.DynamicViolation{OrderID: id, CityID: city, PlacedAt: opsAt(placed), DeliveredAt: opsAt(delivered),
				ActualMinutes: actual, PredictedMinutes: pred, OverrunMinutes: actual - pred, OverrunRatio: actual / pred, ModelVersion: "eta-a"}
		}
		d501 := d(501, opsTunis, "11:00:00", "11:40:00", 30, 40)
		d503 := d(503, opsSfax, "11:40:00", "12:20:00", 20, 40)
		d505 := d(505, opsSousse, "11:20:00", "12:05:00", 30, 45)
		// Not 506 (11:29) nor 507 (12:30); 503 once.
		get(t, "/v1/sla/dynamic-violations", api.DynamicViolations{From: hour, To: now, Violations: []api.DynamicViolation{d503, d505, d501}})
		get(t, "/v1/sla/dynamic-violations?limit=1", api.DynamicViolations{From: hour, To: now, Violations: []api.DynamicViolation{d503}})
		get(t, "/v1/sla/dynamic-violations?city=sousse", api.DynamicViolations{From: hour, To: now, Violations: []api.DynamicViolation{d505}})

		// Delivered 501-505; violations 501 (+10 min, 40/30), 503 (+20, 2), 505 (+15, 1.5).
		get(t, "/v1/sla/dynamic-summary", api.DynamicSummary{From: hour, To: now, Delivered: 5, Violations: 3,
			ViolationShare: new(0.6), MeanOverrunMinutes: new(15.0), MeanOverrunRatio: new((40.0/30 + 2 + 1.5) / 3)})
		get(t, "/v1/sla/dynamic-summary?city=Sfax", api.DynamicSummary{From: hour, To: now, CityID: new(opsSfax), Delivered: 2,
			Violations: 1, ViolationShare: new(0.5), MeanOverrunMinutes: new(20.0), MeanOverrunRatio: new(2.0)})
		get(t, "/v1/sla/dynamic-summary?city=Ariana", api.DynamicSummary{From: hour, To: now, CityID: new(int32(2))})
	})

	t.Run("model health", func(t *testing.T) {
		b := func(start string, n uint64, mae float64, mape float64) api.ModelHealthBucket {
			return api.ModelHealthBucket{Start: opsAt(start), Delivered: n, MAEMinutes: mae, MAPE: new(mape)}
		}
		get(t, "/v1/models/health", api.ModelHealthReport{From: hour, To: now, Buckets: []api.ModelHealthBucket{
			b("11:30:00", 1, 10, 10.0/40),            // 501
			b("11:45:00", 1, 5, 5.0/20),              // 502
			b("12:00:00", 1, 15, 15.0/45),            // 505
			b("12:15:00", 2, 12, (20.0/40+4.0/32)/2), // 503 (once), 504
		}, LatestBucket: new(opsAt("12:15:00")), LatestMAEMinutes: new(12.0)})
		get(t, "/v1/models/health?city=15", api.ModelHealthReport{From: hour, To: now, CityID: new(opsSfax),
			Buckets: []api.ModelHealthBucket{b("12:15:00", 2, 12, (20.0/40+4.0/32)/2)}, LatestBucket: new(opsAt("12:15:00")), LatestMAEMinutes: new(12.0)})
		get(t, "/v1/models/health?city=2", api.ModelHealthReport{From: hour, To: now, CityID: new(int32(2)), Buckets: []api.ModelHealthBucket{}})
	})

	t.Run("pressure", func(t *testing.T) {
		sfax := api.CityPressureRank{CityID: opsSfax, CityName: "Sfax", Minute: opsAt("12:29:00"), Pressure: 79.5, Level: "warning",
			OpenOrders: 10, AvailableCouriers: 2, PeakPressure: 88}
		sousse := api.CityPressureRank{CityID: opsSousse, CityName: "Sousse", Minute: opsAt("12:29:00"), Pressure: 69.4, Level: "normal",
			OpenOrders: 12, AvailableCouriers: 1, PeakPressure: 69.4}
		tunis := api.CityPressureRank{CityID: opsTunis, CityName: "Tunis", Minute: opsAt("12:29:00"), Pressure: 23.1, Level: "normal",
			OpenOrders: 5, AvailableCouriers: 5, PeakPressure: 38.5}
		// Sfax's 12:30 (99) is out of the window, Tunis' 11:20 (90) too.
		get(t, "/v1/pressure/top", api.PressureTop{From: hour, To: now, Cities: []api.CityPressureRank{sfax, sousse, tunis}})
		get(t, "/v1/pressure/top?limit=2", api.PressureTop{From: hour, To: now, Cities: []api.CityPressureRank{sfax, sousse}})
		tunis.PeakPressure = 90 // 11:20 is in the last two hours
		get(t, "/v1/pressure/top?window=2h", api.PressureTop{From: now.Add(-2 * time.Hour), To: now, Cities: []api.CityPressureRank{sfax, sousse, tunis}})

		pt := func(minute string, open, avail int32, dpc, pressure float64, level string) api.PressurePoint {
			return api.PressurePoint{Minute: opsAt(minute), Pressure: pressure, Level: level, OpenOrders: open, AvailableCouriers: avail, DemandPerCourier: dpc}
		}
		sfaxPoints := []api.PressurePoint{pt("12:27:00", 14, 0, 28, 88, "critical"), pt("12:28:00", 12, 1, 12, 84, "warning"), pt("12:29:00", 10, 2, 5, 79.5, "warning")}
		get(t, "/v1/pressure/series?city=15", api.PressureSeries{CityID: opsSfax, CityName: "Sfax", From: hour, To: now, Points: sfaxPoints})
		// 12:28 written twice, shown once.
		get(t, "/v1/pressure/series?city=tunis", api.PressureSeries{CityID: opsTunis, CityName: "Tunis", From: hour, To: now, Points: []api.PressurePoint{
			pt("12:27:00", 4, 4, 1, 23.1, "normal"), pt("12:28:00", 6, 3, 2, 38.5, "normal"), pt("12:29:00", 5, 5, 1, 23.1, "normal")}})

		get(t, "/v1/heatmap", api.Heatmap{From: hour, To: now, Bucket: "1m", Minutes: []time.Time{opsAt("12:27:00"), opsAt("12:28:00"), opsAt("12:29:00")},
			Cities: []api.HeatmapRow{
				{CityID: opsTunis, CityName: "Tunis", Pressure: []*float64{new(23.1), new(38.5), new(23.1)}, OrdersPlaced: []*int32{new(int32(2)), new(int32(3)), new(int32(1))}},
				{CityID: opsSousse, CityName: "Sousse", Pressure: []*float64{nil, new(58.2), new(69.4)}, OrdersPlaced: []*int32{nil, new(int32(4)), new(int32(5))}},
				{CityID: opsSfax, CityName: "Sfax", Pressure: []*float64{new(88.0), new(84.0), new(79.5)}, OrdersPlaced: []*int32{new(int32(6)), new(int32(5)), new(int32(3))}},
			}})
		get(t, "/v1/heatmap?from=2026-11-20T10:00:00Z&to=2026-11-20T11:00:00Z", api.Heatmap{From: opsAt("10:00:00"), To: opsAt("11:00:00"), Bucket: "1m",
			Minutes: []time.Time{}, Cities: []api.HeatmapRow{}})

		// Sfax from local midnight to now: pressure 12:27-12:29; breaches 403 (23:30) and 405
		// (12:29, once), not 404 (22:50); the actions about Sfax by target, params city_id,
		// city by name in any case and by id, not those of another city, outside the window
		// (22:00) or at its end (12:30).
		get(t, "/v1/replay?city=sfax&from=2026-11-19T23:00:00Z&to=2026-11-20T12:30:00Z", api.Replay{CityID: opsSfax, CityName: "Sfax",
			From: opsTime("2026-11-19T23:00:00Z"), To: now, Pressure: sfaxPoints,
			Breaches: []api.ReplayBreaches{
				{Minute: opsTime("2026-11-19T23:30:00Z"), Breaches: 1, Violations: 1},
				{Minute: opsAt("12:29:00"), Breaches: 1, Violations: 1},
			},
			Actions: []api.OperatorAction{
				{ID: actions[0], At: opsAt("12:10:00"), Actor: "olfa", Action: "scenario.start", Target: "city:15",
					Params: map[string]any{"kind": "rain", "city": "Sfax", "minutes": 30}, Result: "ok"},
				{ID: actions[1], At: opsAt("12:12:00"), Actor: "olfa", Action: "recommendation.approve", Target: "recommendation:surge-15-x",
					Params: map[string]any{"city_id": 15}, Result: "ok"},
				{ID: actions[4], At: opsAt("12:20:00"), Actor: "sami", Action: "alert.mute", Target: "alert:driver_shortage-15-x",
					Params: map[string]any{"city": "SFAX"}, Result: "ok"},
				{ID: actions[6], At: opsAt("12:25:00"), Actor: "olfa", Action: "scenario.cancel", Target: "flag:3",
					Params: map[string]any{"city": "15"}, Result: "ok"},
			}})
		get(t, "/v1/replay?city=Sousse&window=15m", api.Replay{CityID: opsSousse, CityName: "Sousse", From: opsAt("12:15:00"), To: now,
			Pressure: []api.PressurePoint{pt("12:28:00", 9, 2, 4.5, 58.2, "normal"), pt("12:29:00", 12, 1, 12, 69.4, "normal")},
			Breaches: []api.ReplayBreaches{{Minute: opsAt("12:29:00"), Breaches: 1, Violations: 1}}, Actions: []api.OperatorAction{}})
	})

	t.Run("operator actions", func(t *testing.T) {
		type actionsBody struct {
			From    time.Time            `json:"from"`
			To      time.Time            `json:"to"`
			Actions []api.OperatorAction `json:"actions"`
		}
		act := func(i int, at, actor, action, target string, params map[string]any) api.OperatorAction {
			return api.OperatorAction{ID: actions[i], At: opsAt(at), Actor: actor, Action: action, Target: target, Params: params, Result: "ok"}
		}
		cancel := act(6, "12:25:00", "olfa", "scenario.cancel", "flag:3", map[string]any{"city": "15"})
		pause := act(5, "12:22:00", "olfa", "restaurant.pause", "restaurant:17", map[string]any{"minutes": 10})
		mute := act(4, "12:20:00", "sami", "alert.mute", "alert:driver_shortage-15-x", map[string]any{"city": "SFAX"})
		promo := act(2, "12:14:00", "olfa", "scenario.start", "city:1", map[string]any{"kind": "promo", "city": "Tunis"})
		approve := act(1, "12:12:00", "olfa", "recommendation.approve", "recommendation:surge-15-x", map[string]any{"city_id": 15})
		rain := act(0, "12:10:00", "olfa", "scenario.start", "city:15", map[string]any{"kind": "rain", "city": "Sfax", "minutes": 30})
		// [12:10, 12:30): newest first, not 12:30 (the end) nor the 19th's.
		get(t, "/v1/actions?window=20m", actionsBody{From: opsAt("12:10:00"), To: now,
			Actions: []api.OperatorAction{cancel, pause, mute, promo, approve, rain}})
		get(t, "/v1/actions?window=20m&city=Sfax&limit=2", actionsBody{From: opsAt("12:10:00"), To: now,
			Actions: []api.OperatorAction{cancel, mute}})
	})

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct{ path, location string }{
			{"/v1/kpis?window=40d", "query.window"},
			{"/v1/actions?city=Atlantis", "query.city"},
			{"/v1/kpis?city=Atlantis", "query.city"},
			{"/v1/orders/live?limit=0", "query.limit"},
			{"/v1/orders/live?city=99", "query.city"},
			{"/v1/orders/live?max_age=32d", "query.max_age"},
			{"/v1/orders/live?max_age=0h", "query.max_age"},
			{"/v1/sla/violations?from=2026-11-20T12:00:00Z&to=2026-11-20T11:00:00Z", "query.to"},
			{"/v1/sla/violations?kind=late", "query.kind"},
			{"/v1/sla/dynamic-violations?limit=1001", "query.limit"},
			{"/v1/sla/dynamic-summary?window=0h", "query.window"},
			{"/v1/models/health?city=Atlantis", "query.city"},
			{"/v1/pressure/top?from=2026-10-01T00:00:00Z&to=2026-11-20T00:00:00Z", "query.from"},
			{"/v1/pressure/series", "query.city"},
			{"/v1/pressure/series?city=Atlantis", "query.city"},
			{"/v1/heatmap?to=2026-11-20T12:00:00Z", "query.from"},
			{"/v1/heatmap?from=2026-10-01T00:00:00Z", "query.from"},
			{"/v1/replay?city=Sfax&from=2026-10-01T00:00:00Z", "query.from"},
			{"/v1/actions?from=2026-10-01T00:00:00Z", "query.from"},
			{"/v1/replay?city=Sfax&limit=1001", "query.limit"},
			{"/v1/heatmap?bucket=0m", "query.bucket"},
			{"/v1/replay?window=1h", "query.city"},
			{"/v1/replay?city=Sfax&window=1y", "query.window"},
		} {
			code, body := s.do(t, http.MethodGet, tc.path, "", nil)
			if code != http.StatusUnprocessableEntity || !slices.Contains(opsLocations(body), tc.location) {
				t.Errorf("GET %s: %d %v, want 422 at %s", tc.path, code, body, tc.location)
			}
		}
	})
}

// opsLocations are the locations of a problem's error details.
func opsLocations(body map[string]any) []string {
	var out []string
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			loc, _ := m["location"].(string)
			out = append(out, loc)
		}
	}
	return out
}

// opsMatch reports every difference between a decoded JSON answer (without its $schema
// link) and want, as JSON:
// numbers are equal within 1e-9 (means and ratios are computed by division, in whichever
// order ClickHouse sums).
func opsMatch(t *testing.T, name string, got map[string]any, want any) {
	t.Helper()
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var w any
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	delete(got, "$schema")
	for _, d := range opsDiff("", got, w) {
		t.Errorf("%s: %s", name, d)
	}
}

func opsDiff(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var keys []string
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			if gok != wok {
				out = append(out, fmt.Sprintf("%s.%s: got %v (present %v), want %v (present %v)", path, k, gv, gok, wv, wok))
				continue
			}
			out = append(out, opsDiff(path+"."+k, gv, wv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, opsDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		if g, ok := got.(float64); !ok || math.Abs(g-w) > 1e-9 {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	}
}
