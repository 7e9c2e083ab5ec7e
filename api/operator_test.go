package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/enrich/eta"
	"github.com/flavortrend/flavortrend/enrich/features"
	"github.com/flavortrend/flavortrend/enrich/registry"
)

// The cities of the operator tests (ids of the seeded reference data).
const (
	opSfax   = int32(15)
	opTunis  = int32(1)
	opNabeul = int32(5)
)

// opAt is the test day's UTC instant hh:mm:ss.
func opAt(hh, mm, ss int) time.Time { return time.Date(2026, 11, 20, hh, mm, ss, 0, time.UTC) }

// opRegisterModel fits a small ETA model with enrich/eta on orders whose delivery minutes
// are 10 + 3 × distance + preparation + 0.1 × pressure + 8 in rain, and registers it as
// version (not promoted).
func opRegisterModel(t *testing.T, s *server, version string) *eta.Model {
	t.Helper()
	names := features.Names()
	var examples []eta.Example
	for i := range 120 {
		f := features.Features{DistanceKm: 1 + float64(i%7), HourOfDay: 10 + i%10, DayOfWeek: 1 + i%7, IsRushHour: i%3 == 0,
			ItemsCount: 1 + i%4, RestaurantAvgPrepMinutes: 8 + float64(i%9), WeatherCondition: "cloudy", TemperatureC: 15 + float64(i%6),
			CityPressure: 8 * float64(i%11)}
		minutes := 10 + 3*f.DistanceKm + f.RestaurantAvgPrepMinutes + 0.1*f.CityPressure
		if i%5 == 0 {
			f.WeatherCondition, f.IsRain, f.PrecipitationMm = "rainy", true, 2
			minutes += 8
		}
		examples = append(examples, eta.Example{Vector: f.Vector(), CityID: opSfax, PlacedAt: opAt(0, 0, 0).Add(time.Duration(i) * time.Minute), Minutes: minutes})
	}
	m, err := eta.Fit(names, examples, eta.Config{Lambda: eta.DefaultLambda})
	if err != nil {
		t.Fatal(err)
	}
	artefact, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	namesJSON, _ := json.Marshal(names)
	trained := opAt(3, 0, 0)
	if err := registry.New(s.ch, s.chDB).Register(context.Background(), registry.Version{Version: version, TrainedAt: trained,
		TrainFrom: trained, TestFrom: trained, TestTo: trained, TrainRows: 96, TestRows: 24, Features: string(namesJSON),
		Decision: "registered by the test", Artefact: artefact}); err != nil {
		t.Fatal(err)
	}
	served, err := eta.Load(artefact, names) // as the API loads it
	if err != nil {
		t.Fatal(err)
	}
	return served
}

// opList GETs path and decodes its JSON array.
func (s *server) opList(t *testing.T, path string) []map[string]any {
	t.Helper()
	code, body := s.do(t, http.MethodGet, path, "", nil)
	var out []map[string]any
	raw, _ := body["raw"].(string)
	if code != http.StatusOK || json.Unmarshal([]byte(raw), &out) != nil {
		t.Fatalf("GET %s: %d %v", path, code, body)
	}
	return out
}

// opProblemAt is the location of the first error detail of a problem+json answer.
func opProblemAt(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	loc, _ := e["location"].(string)
	return loc
}

// TestScenarioEstimate: the estimate's baseline is the city's latest pressure minute
// (FINAL: its newest version), its orders and breaches of the 15 minutes before the
// minute's end, and the typical order of the hour before, as inserted; the identity
// scenario predicts exactly the baseline; other scenarios scale supply and demand as
// SPEC §4.11 says and are a fixed point of the promoted model. Without a promoted model,
// or for a city without pressure, 409; bad input, 422 naming the field.
func TestScenarioEstimate(t *testing.T) {
	s := newServer(t)
	const pressureCols = `city_id, minute, open_orders, available_couriers, demand_per_courier, delay_excess, pressure, level,
		avg_delivery_minutes_15m, deliveries_last_15m, orders_placed, online_couriers, roster_couriers, overloaded_couriers, _version`
	// Sfax's latest minute is 12:28 (so as_of = 12:29): 6 open orders, 4 available couriers,
	// 40 min average over 5 deliveries → demand 1.5, delay excess (40 − 30)/30, pressure
	// 100 × (0.7 × (1 − e^−0.6) + 0.3 / 3) = 41.6. Its version 1 (9 open, 1 courier) is
	// superseded; Tunis has a later minute of its own.
	s.insert(t, "city_pressure", pressureCols,
		[]any{opSfax, opAt(12, 20, 0), int32(2), int32(5), 0.4, 0.0, 10.1, "normal", 25.0, int32(3), int32(1), int32(6), int32(8), int32(0), uint64(1)},
		[]any{opSfax, opAt(12, 28, 0), int32(9), int32(1), 9.0, 0.0, 66.0, "normal", 20.0, int32(1), int32(1), int32(2), int32(8), int32(0), uint64(1)},
		[]any{opSfax, opAt(12, 28, 0), int32(6), int32(4), 1.5, 1.0 / 3, 41.6, "normal", 40.0, int32(5), int32(1), int32(5), int32(8), int32(0), uint64(2)},
		[]any{opTunis, opAt(12, 29, 0), int32(50), int32(2), 25.0, 1.0, 99.7, "critical", 70.0, int32(9), int32(9), int32(2), int32(9), int32(1), uint64(1)},
	)
	const orderCols = `order_id, city_id, placed_at, items_count, distance_km, restaurant_avg_prep_minutes, weather_condition,
		temperature_c, precipitation_mm, is_rain, _version`
	order := func(id int64, city int32, placed time.Time, items int64, km, prep float64, cond string, temp, precip float64, rain uint8, version uint64) []any {
		return []any{id, int64(city), placed, items, km, prep, cond, temp, precip, rain, version}
	}
	// The hour [11:29, 12:29) holds orders 2-6: distances 1, 5, 2, 4, 3 (median 3), items 1, 4,
	// 2, 3, 2 (median 2), preparation 10, 18, 12, 16, 14 (median 14); the 15 minutes
	// [12:14, 12:29) hold 4, 5 and 6: 0.2 orders a minute. Order 6 is the newest: cloudy,
	// 18.5 °C, dry. Order 5's first version (20 km) is superseded; order 1 is too old, order
	// 7 placed at as_of, order 8 in Tunis.
	s.insert(t, "orders_enriched", orderCols,
		order(1, opSfax, opAt(11, 20, 0), 9, 9, 30, "rainy", 12, 3, 1, 1),
		order(2, opSfax, opAt(11, 40, 0), 1, 1, 10, "sunny", 20, 0, 0, 1),
		order(3, opSfax, opAt(12, 0, 0), 4, 5, 18, "sunny", 20, 0, 0, 1),
		order(4, opSfax, opAt(12, 15, 0), 2, 2, 12, "cloudy", 19, 0, 0, 1),
		order(5, opSfax, opAt(12, 20, 0), 3, 20, 16, "cloudy", 19, 0, 0, 1),
		order(5, opSfax, opAt(12, 20, 0), 3, 4, 16, "cloudy", 19, 0, 0, 2),
		order(6, opSfax, opAt(12, 28, 59), 2, 3, 14, "cloudy", 18.5, 0, 0, 1),
		order(7, opSfax, opAt(12, 29, 0), 8, 50, 40, "stormy", 14, 20, 1, 1),
		order(8, opTunis, opAt(12, 25, 0), 1, 7, 9, "sunny", 22, 0, 0, 1),
	)
	// Breaches of Sfax observed in [12:14, 12:29): one late delivery and one order at risk.
	violation := func(id int64, city int32, kind string, observed time.Time) []any {
		return []any{id, city, kind, observed.Add(-50 * time.Minute), observed, 50.0, 45.0, 5.0, uint64(1)}
	}
	s.insert(t, "sla_violations", "order_id, city_id, kind, placed_at, observed_at, actual_minutes, threshold_minutes, delay_minutes, _version",
		violation(101, opSfax, "breach", opAt(12, 13, 59)),
		violation(102, opSfax, "breach", opAt(12, 16, 0)),
		violation(103, opSfax, "at_risk", opAt(12, 27, 0)),
		violation(104, opSfax, "breach", opAt(12, 29, 0)),
		violation(105, opTunis, "breach", opAt(12, 20, 0)),
	)

	const path = "/v1/scenarios/estimate"
	if code, body := s.do(t, http.MethodPost, path, "", map[string]any{"city": "Sfax"}); code != http.StatusConflict ||
		!strings.Contains(body["detail"].(string), "no ETA model is promoted") {
		t.Errorf("without a promoted model: %d %v, want 409", code, body)
	}
	model := opRegisterModel(t, s, "eta-test-1")
	if err := registry.New(s.ch, s.chDB).Promote(context.Background(), "eta-test-1", "train", "test", opAt(3, 0, 1)); err != nil {
		t.Fatal(err)
	}

	// The typical order as the model sees it: placed in the 12:28 minute, 13:28 local on
	// Friday 20 November 2026 (rush hour, not a holiday).
	typical := features.Features{DistanceKm: 3, HourOfDay: 13, DayOfWeek: 5, IsRushHour: true, ItemsCount: 2,
		RestaurantAvgPrepMinutes: 14, WeatherCondition: "cloudy", TemperatureC: 18.5}
	predict := func(pressure float64, rain bool) float64 {
		f := typical
		f.CityPressure = pressure
		if rain {
			f.WeatherCondition, f.IsRain = "rainy", true
		}
		return model.Predict(f.Vector())
	}
	eta0 := predict(41.6, false)
	baseline := map[string]any{"open_orders": 6.0, "available_couriers": 4.0, "orders_per_minute": 0.2, "pressure": 41.6,
		"demand_per_courier": 1.5, "avg_delivery_minutes": 40.0, "breaches_per_minute": 2.0 / 15, "typical_eta_minutes": eta0}

	code, e := s.do(t, http.MethodPost, path, "", map[string]any{"city": "sfax"}) // no token needed
	if code != http.StatusOK {
		t.Fatalf("identity estimate: %d %v", code, e)
	}
	if e["city_id"] != 15.0 || e["as_of"] != "2026-11-20T12:29:00Z" || e["model_version"] != "eta-test-1" {
		t.Errorf("estimate header: city %v as_of %v model %v", e["city_id"], e["as_of"], e["model_version"])
	}
	opWant(t, "scenario", e["scenario"], map[string]any{"promo_factor": 1.0, "outage_share": 0.0, "rain": false})
	opWant(t, "observed", e["observed"], map[string]any{"orders_last_15m": 3.0, "breaches_last_15m": 2.0, "deliveries_last_15m": 5.0})
	opWant(t, "typical_order", e["typical_order"], map[string]any{"orders": 5.0, "distance_km": 3.0, "items_count": 2.0,
		"prep_minutes": 14.0, "hour_of_day": 13.0, "day_of_week": 5.0, "is_weekend": false, "is_rush_hour": true, "is_holiday": false,
		"weather_condition": "cloudy", "temperature_c": 18.5, "precipitation_mm": 0.0, "is_rain": false})
	opWant(t, "baseline", e["baseline"], baseline)
	opWant(t, "identity predicted", e["predicted"], baseline)
	zero := map[string]any{}
	for k := range baseline {
		zero[k] = 0.0
	}
	opWant(t, "identity delta", e["delta"], zero)

	// Promo ×2 and half the couriers out: 2 couriers, 0.4 orders a minute, whatever the model.
	code, e = s.do(t, http.MethodPost, path, "", map[string]any{"city": "15", "promo_factor": 2, "outage_share": 0.5})
	p, _ := e["predicted"].(map[string]any)
	if code != http.StatusOK || p["available_couriers"] != 2.0 || p["orders_per_minute"] != 0.4 {
		t.Errorf("promo and outage: %d %v", code, e)
	}
	// Rain: the predicted ETA is the model's for the typical order in rain at the predicted
	// pressure (a fixed point), and open orders and delivery minutes scale by k = ETA'/ETA.
	code, e = s.do(t, http.MethodPost, path, "", map[string]any{"city": "Sfax", "rain": true})
	p, _ = e["predicted"].(map[string]any)
	if code != http.StatusOK {
		t.Fatalf("rain: %d %v", code, e)
	}
	etaRain := predict(p["pressure"].(float64), true)
	k := etaRain / eta0
	if p["typical_eta_minutes"] != etaRain || !opNear(p["open_orders"].(float64), 6*k) || !opNear(p["avg_delivery_minutes"].(float64), 40*k) || !(k > 1) {
		t.Errorf("rain: predicted %v; model in rain at its pressure %v, k %v", p, etaRain, k)
	}

	for _, tc := range []struct {
		body map[string]any
		code int
		at   string
	}{
		{map[string]any{"city": "Atlantis"}, http.StatusUnprocessableEntity, "body.city"},
		{map[string]any{"city": "Sfax", "promo_factor": 6}, http.StatusUnprocessableEntity, "body.promo_factor"},
		{map[string]any{"city": "Sfax", "promo_factor": 0.5}, http.StatusUnprocessableEntity, "body.promo_factor"},
		{map[string]any{"city": "Sfax", "outage_share": 1.5}, http.StatusUnprocessableEntity, "body.outage_share"},
		{map[string]any{"promo_factor": 2}, http.StatusUnprocessableEntity, "body"}, // city required
		{map[string]any{"city": "Ariana"}, http.StatusConflict, ""},                 // no pressure minute
	} {
		code, body := s.do(t, http.MethodPost, path, "", tc.body)
		if code != tc.code || opProblemAt(body) != tc.at {
			t.Errorf("%v: %d %v, want %d at %q", tc.body, code, body, tc.code, tc.at)
		}
	}
	if a := s.actions(t); len(a) != 0 {
		t.Errorf("estimates recorded actions: %v", a)
	}
}

// TestRecommendations: the list shows the recommendations of the window, newest first, with
// their status; approving a pending one creates exactly one surge flag with its factor and
// duration and one decision, recorded; a second decision, an expired or unknown
// recommendation are refused (409, 409, 404) and recorded; dismissing records the decision
// only; the status and city filters and the validation work.
func TestRecommendations(t *testing.T) {
	s := newServer(t)
	const (
		r1 = "surge-15-20261120T122000.000000Z" // pending until 12:35
		r2 = "surge-15-20261120T120000.000000Z" // expired at 12:15
		r3 = "surge-5-20261120T122500.000000Z"  // pending until 12:40
		r4 = "surge-15-20261120T100000.000000Z" // outside the default hour
	)
	rec := func(id string, city int32, factor float64, created time.Time, version uint64) []any {
		return []any{id, city, "surge", factor, int32(15), "high_demand", "Pressure 80.0: …", 80.0, created, created.Add(15 * time.Minute), version}
	}
	s.insert(t, "recommendations", "id, city_id, kind, factor, duration_minutes, rationale, details, pressure, created_at, expires_at, _version",
		rec(r1, opSfax, 9, opAt(12, 20, 0), 1), // superseded by version 2
		rec(r1, opSfax, 1.5, opAt(12, 20, 0), 2),
		rec(r2, opSfax, 2, opAt(12, 0, 0), 1),
		rec(r3, opNabeul, 2, opAt(12, 25, 0), 1),
		rec(r4, opSfax, 1.5, opAt(10, 0, 0), 1),
	)
	ids := func(l []map[string]any) string {
		var out []string
		for _, r := range l {
			out = append(out, r["id"].(string)+" "+r["status"].(string))
		}
		return strings.Join(out, ", ")
	}
	if got, want := ids(s.opList(t, "/v1/recommendations")), r3+" pending, "+r1+" pending, "+r2+" expired"; got != want {
		t.Errorf("list: %s, want %s", got, want)
	}
	l := s.opList(t, "/v1/recommendations?window=3h")
	if got, want := ids(l), r3+" pending, "+r1+" pending, "+r2+" expired, "+r4+" expired"; got != want {
		t.Errorf("list of 3 h: %s, want %s", got, want)
	}
	opWant(t, "r1", l[1], map[string]any{"id": r1, "city_id": 15.0, "kind": "surge", "factor": 1.5, "duration_minutes": 15.0,
		"rationale": "high_demand", "details": "Pressure 80.0: …", "pressure": 80.0, "created_at": "2026-11-20T12:20:00Z",
		"expires_at": "2026-11-20T12:35:00Z", "status": "pending"}) // no decision member

	code, a := s.do(t, http.MethodPost, "/v1/recommendations/"+r1+"/approve", opToken, nil)
	d, _ := a["decision"].(map[string]any)
	if code != http.StatusOK || a["status"] != "approved" || d == nil {
		t.Fatalf("approve: %d %v", code, a)
	}
	var flagID int64
	var kind, createdBy string
	var city int32
	var factor, minutes float64
	var starts time.Time
	var flags int
	if err := s.pg.QueryRow(context.Background(), `SELECT count(*) OVER (), id, kind, city_id, (params->>'factor')::float8, starts_at,
		extract(epoch FROM ends_at - starts_at) / 60, created_by FROM simulation_flags`).
		Scan(&flags, &flagID, &kind, &city, &factor, &starts, &minutes, &createdBy); err != nil {
		t.Fatal(err)
	}
	if flags != 1 || kind != "surge" || city != opSfax || factor != 1.5 || !starts.Equal(now) || minutes != 15 || createdBy != "recommendation:"+r1+" by olfa" {
		t.Errorf("flag: %d rows, %s city %d factor %v from %v for %v min by %q", flags, kind, city, factor, starts, minutes, createdBy)
	}
	opWant(t, "decision", d, map[string]any{"decision": "approved", "actor": "olfa", "decided_at": "2026-11-20T12:30:00Z", "flag_id": float64(flagID)})

	for _, tc := range []struct{ verb, id string }{{"approve", r1}, {"dismiss", r1}, {"approve", r2}} {
		if code, body := s.do(t, http.MethodPost, "/v1/recommendations/"+tc.id+"/"+tc.verb, opToken, nil); code != http.StatusConflict {
			t.Errorf("%s %s: %d %v, want 409", tc.verb, tc.id, code, body)
		}
	}
	const unknown = "surge-15-20261120T122100.000000Z"
	if code, body := s.do(t, http.MethodPost, "/v1/recommendations/"+unknown+"/approve", opToken, nil); code != http.StatusNotFound {
		t.Errorf("approve unknown: %d %v, want 404", code, body)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/recommendations/surge-15-x/approve", opToken, nil); code != http.StatusUnprocessableEntity || opProblemAt(body) != "path.id" {
		t.Errorf("approve a malformed id: %d %v, want 422 at path.id", code, body)
	}
	code, dm := s.do(t, http.MethodPost, "/v1/recommendations/"+r3+"/dismiss", opToken, nil)
	if code != http.StatusOK || dm["status"] != "dismissed" {
		t.Fatalf("dismiss: %d %v", code, dm)
	}
	opWant(t, "dismissal", dm["decision"], map[string]any{"decision": "dismissed", "actor": "olfa", "decided_at": "2026-11-20T12:30:00Z", "flag_id": nil})

	var decisions string
	if err := s.pg.QueryRow(context.Background(), `SELECT string_agg(recommendation_id || ' ' || decision || ' ' || actor || ' ' ||
		coalesce(flag_id::text, '-'), ', ' ORDER BY recommendation_id) || ' / ' || (SELECT count(*) FROM simulation_flags)
		FROM recommendation_decisions`).Scan(&decisions); err != nil {
		t.Fatal(err)
	}
	if want := r1 + " approved olfa " + strconv.FormatInt(flagID, 10) + ", " + r3 + " dismissed olfa - / 1"; decisions != want {
		t.Errorf("decisions / flags: %s, want %s", decisions, want)
	}
	want := []string{
		"olfa recommendation.approve recommendation:" + r1 + " ok",
		"olfa recommendation.approve recommendation:" + r1 + " 409 recommendation " + r1 + " was already approved by olfa at 2026-11-20T12:30:00Z",
		"olfa recommendation.dismiss recommendation:" + r1 + " 409 recommendation " + r1 + " was already approved by olfa at 2026-11-20T12:30:00Z",
		"olfa recommendation.approve recommendation:" + r2 + " 409 recommendation " + r2 + " expired at 2026-11-20T12:15:00Z",
		"olfa recommendation.approve recommendation:" + unknown + " 404 no recommendation " + unknown,
		"olfa recommendation.dismiss recommendation:" + r3 + " ok",
	}
	if got := s.actions(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for q, want := range map[string]string{
		"status=approved":        r1 + " approved",
		"status=dismissed":       r3 + " dismissed",
		"status=pending":         "",
		"status=expired":         r2 + " expired",
		"city=nabeul":            r3 + " dismissed",
		"city=15&status=expired": r2 + " expired",
		"limit=1":                r3 + " dismissed",
		"from=2026-11-20T12:00:00Z&to=2026-11-20T12:20:00Z": r2 + " expired",
	} {
		if got := ids(s.opList(t, "/v1/recommendations?"+q)); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	for q, loc := range map[string]string{"status=open": "query.status", "city=Atlantis": "query.city", "window=0m": "query.window", "limit=0": "query.limit"} {
		if code, body := s.do(t, http.MethodGet, "/v1/recommendations?"+q, "", nil); code != http.StatusUnprocessableEntity || opProblemAt(body) != loc {
			t.Errorf("%s: %d %v, want 422 at %s", q, code, body, loc)
		}
	}
}

// TestPromoteModel: promoting a registered version makes it the registry's current model
// (what the enricher loads), with the previous one reported; promoting the current one
// again is 409, an unknown version 404, both recorded; promoting back at the same instant
// still takes effect.
func TestPromoteModel(t *testing.T) {
	s := newServer(t)
	opRegisterModel(t, s, "eta-a")
	opRegisterModel(t, s, "eta-b")
	reg := registry.New(s.ch, s.chDB)
	ctx := context.Background()
	if err := reg.Promote(ctx, "eta-a", "train", "test", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	current := func() string {
		t.Helper()
		v, art, err := reg.Current(ctx)
		if err != nil || len(art) == 0 {
			t.Fatalf("current model: %q, %d bytes, %v", v, len(art), err)
		}
		return v
	}

	code, p := s.do(t, http.MethodPost, "/v1/models/eta-b/promote", opToken, nil)
	delete(p, "$schema")
	opWant(t, "promotion", p, map[string]any{"version": "eta-b", "previous": "eta-a", "promoted_at": "2026-11-20T12:30:00Z", "promoted_by": "olfa"})
	if code != http.StatusOK || current() != "eta-b" {
		t.Errorf("promote eta-b: %d, current %s", code, current())
	}
	if code, body := s.do(t, http.MethodPost, "/v1/models/eta-b/promote", opToken, nil); code != http.StatusConflict {
		t.Errorf("promote the current one: %d %v, want 409", code, body)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/models/eta-zzz/promote", opToken, nil); code != http.StatusNotFound {
		t.Errorf("promote an unknown version: %d %v, want 404", code, body)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/models/-eta/promote", opToken, nil); code != http.StatusUnprocessableEntity || opProblemAt(body) != "path.version" {
		t.Errorf("promote a malformed version: %d %v, want 422 at path.version", code, body)
	}
	// Back to eta-a at the same instant (the API's clock is fixed): the newest promotion wins.
	if code, body := s.do(t, http.MethodPost, "/v1/models/eta-a/promote", opToken, nil); code != http.StatusOK || current() != "eta-a" {
		t.Errorf("promote eta-a back: %d %v, current %s", code, body, current())
	}
	want := []string{
		"olfa model.promote model:eta-b ok",
		"olfa model.promote model:eta-b 409 model eta-b is already the promoted one",
		"olfa model.promote model:eta-zzz 404 no model version eta-zzz is registered",
		"olfa model.promote model:eta-a ok",
	}
	if got := s.actions(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// opWant compares a decoded JSON object with want, member by member, exactly.
func opWant(t *testing.T, what string, got any, want map[string]any) {
	t.Helper()
	g, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s: %v, not an object", what, got)
		return
	}
	for k, w := range want {
		if gv, ok := g[k]; !ok || gv != w {
			t.Errorf("%s.%s = %v, want %v", what, k, gv, w)
		}
	}
	if len(g) != len(want) {
		t.Errorf("%s has %d members, want %d: %v", what, len(g), len(want), g)
	}
}

func opNear(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
