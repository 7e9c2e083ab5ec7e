package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/api"
)

// TestWindowCap: every read with a window answers 422 naming the field for each way of
// asking for more than 31 days — from alone, to alone, from and to, window alone — and a
// from alone within the cap reads [from, now).
func TestWindowCap(t *testing.T) {
	s := newServer(t)
	doc, _ := served(t, s)
	rng := rand.New(rand.NewPCG(1, 2))
	long := now.Add(-40 * 24 * time.Hour).Format(time.RFC3339)
	reads := 0
	for path, item := range doc.Paths {
		op, ok := item["get"]
		if !ok || !slices.ContainsFunc(op.Parameters, func(p param) bool { return p.Name == "from" }) {
			continue
		}
		reads++
		// The required parameters, valid: only the window is at fault.
		u, q := path, url.Values{}
		for _, p := range op.Parameters {
			switch {
			case p.In == "path":
				u = strings.ReplaceAll(u, "{"+p.Name+"}", url.PathEscape(validValue(rng, p)))
			case p.Required:
				q.Set(p.Name, "Sfax")
			}
		}
		for _, tc := range []struct{ query, location string }{
			{"from=" + long, "query.from"},
			{"to=" + now.Format(time.RFC3339), "query.from"},
			{"from=" + long + "&to=" + now.Add(-time.Hour).Format(time.RFC3339), "query.from"},
			{"from=" + now.Add(time.Hour).Format(time.RFC3339), "query.from"}, // after now: empty
			{"window=32d", "query.window"},
		} {
			target := u + "?" + tc.query
			if len(q) > 0 {
				target += "&" + q.Encode()
			}
			code, body := s.do(t, http.MethodGet, target, "", nil)
			if code != http.StatusUnprocessableEntity || !slices.Contains(opsLocations(body), tc.location) {
				t.Errorf("GET %s: %d %v, want 422 at %s", target, code, body, tc.location)
			}
		}
	}
	if reads < 20 {
		t.Errorf("%d reads with from, want every windowed read", reads)
	}

	// Within the cap, from alone ends now.
	from := now.Add(-31 * 24 * time.Hour)
	code, body := s.do(t, http.MethodGet, "/v1/actions?from="+from.Format(time.RFC3339), "", nil)
	if code != http.StatusOK || body["from"] != from.Format(time.RFC3339) || body["to"] != now.Format(time.RFC3339) {
		t.Errorf("actions from 31 days ago: %d %v", code, body)
	}
}

// TestHeatmapBuckets: over the widest window the heatmap answers at most 10,000 cells, in
// buckets chosen from the window, with each city's pressure averaged and its orders summed
// per bucket; a bucket that would give more than 400 columns is refused, naming bucket.
func TestHeatmapBuckets(t *testing.T) {
	s := newServer(t)
	// 24 cities, a row every hour at :40 for the 31 days before now (12:30): 17,856 rows, so
	// 744 columns at one column per minute with a row.
	type row struct {
		city     int32
		minute   time.Time
		pressure float64
		placed   int32
	}
	first := time.Date(2026, 10, 20, 12, 40, 0, 0, time.UTC)
	var rows [][]any
	var fixture []row
	for h := 0; first.Add(time.Duration(h) * time.Hour).Before(now); h++ {
		for city := int32(1); city <= 24; city++ {
			r := row{city, first.Add(time.Duration(h) * time.Hour), float64((h*7 + int(city)) % 101), int32(h%5) + city}
			fixture = append(fixture, r)
			rows = append(rows, []any{r.city, r.minute, r.pressure, "normal", r.placed, uint64(len(rows) + 1)})
		}
	}
	s.insert(t, "city_pressure", "city_id, minute, pressure, level, orders_placed, _version", rows...)
	s.insert(t, "cities", "id, name, _version", []any{int32(15), "Sfax", uint64(1)})

	var h api.Heatmap
	get := func(path string) int {
		t.Helper()
		res, err := s.client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		h = api.Heatmap{}
		if res.StatusCode == http.StatusOK {
			if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode
	}
	if code := get("/v1/heatmap?window=31d"); code != http.StatusOK {
		t.Fatalf("31 days: %d", code)
	}
	cells := 0
	for _, c := range h.Cities {
		cells += len(c.Pressure)
	}
	// The window [10-20 12:30, 11-20 12:30) touches 373 2h buckets (745 of 1h), from 10-20
	// 12:00 to 11-20 12:00; the last has no row (the newest is at 11:40), so 372 columns.
	if h.Bucket != "2h" || len(h.Minutes) != 372 || len(h.Cities) != 24 || cells != 24*372 || cells > 10000 {
		t.Fatalf("31 days: bucket %q, %d columns, %d cities, %d cells", h.Bucket, len(h.Minutes), len(h.Cities), cells)
	}
	// By hand: the first bucket [12:00, 14:00) of 10-20 holds hour 0 (12:40) and hour 1 (13:40).
	// Sfax (15): pressure (0·7+15)%101 = 15 and (1·7+15)%101 = 22, mean 18.5; orders 15 + 16.
	sfax := h.Cities[14]
	if !h.Minutes[0].Equal(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)) || sfax.CityID != 15 || sfax.CityName != "Sfax" ||
		*sfax.Pressure[0] != 18.5 || *sfax.OrdersPlaced[0] != 31 || h.Cities[0].CityName != "" {
		t.Errorf("first bucket: %v, Sfax %+v pressure %v orders %v", h.Minutes[0], sfax, *sfax.Pressure[0], *sfax.OrdersPlaced[0])
	}
	// Every cell against the fixture, aggregated here.
	type key struct {
		city   int32
		bucket int64
	}
	sum, n, placed := map[key]float64{}, map[key]int{}, map[key]int32{}
	for _, r := range fixture {
		k := key{r.city, r.minute.Unix() / 7200 * 7200}
		sum[k] += r.pressure
		n[k]++
		placed[k] += r.placed
	}
	for _, c := range h.Cities {
		for i, m := range h.Minutes {
			k := key{c.CityID, m.Unix()}
			if c.Pressure[i] == nil || math.Abs(*c.Pressure[i]-sum[k]/float64(n[k])) > 1e-9 || *c.OrdersPlaced[i] != placed[k] {
				t.Fatalf("city %d at %v: pressure %v orders %v, want %v and %v", c.CityID, m, c.Pressure[i], c.OrdersPlaced[i],
					sum[k]/float64(n[k]), placed[k])
			}
		}
	}

	// from alone over 31 days is the same window.
	if code := get("/v1/heatmap?from=2026-10-20T12:30:00Z"); code != http.StatusOK || h.Bucket != "2h" || len(h.Minutes) != 372 {
		t.Errorf("from alone: %d, bucket %q, %d columns", code, h.Bucket, len(h.Minutes))
	}
	// Chosen buckets by window, and an asked one.
	for path, want := range map[string]string{"/v1/heatmap?window=6h": "1m", "/v1/heatmap?window=24h": "5m",
		"/v1/heatmap?window=4d": "15m", "/v1/heatmap?window=7d": "30m", "/v1/heatmap?window=16d": "1h"} {
		if code := get(path); code != http.StatusOK || h.Bucket != want {
			t.Errorf("%s: %d bucket %q, want %s", path, code, h.Bucket, want)
		}
	}
	// A 3h bucket over [10:00, 12:30) of the 20th: the bucket 09:00-12:00 holds 10:40 (hour
	// 742) and 11:40 (743); Sfax: pressure (742·7+15)%101 = 58 and 65, orders 2+15 and 3+15.
	if code := get("/v1/heatmap?from=2026-11-20T10:00:00Z&to=2026-11-20T12:30:00Z&bucket=3h"); code != http.StatusOK ||
		h.Bucket != "3h" || len(h.Minutes) != 1 || !h.Minutes[0].Equal(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)) ||
		*h.Cities[14].Pressure[0] != 61.5 || *h.Cities[14].OrdersPlaced[0] != 35 {
		t.Errorf("3h: %d %+v", code, h)
	}
	for _, tc := range []struct{ path, location string }{
		{"/v1/heatmap?window=31d&bucket=1h", "query.bucket"}, // 745 columns
		{"/v1/heatmap?window=7h&bucket=1m", "query.bucket"},
		{"/v1/heatmap?bucket=32d", "query.bucket"},
		{"/v1/heatmap?bucket=5s", "query.bucket"},
	} {
		code, body := s.do(t, http.MethodGet, tc.path, "", nil)
		if code != http.StatusUnprocessableEntity || !slices.Contains(opsLocations(body), tc.location) {
			t.Errorf("GET %s: %d %v, want 422 at %s", tc.path, code, body, tc.location)
		}
	}
}

// TestListLimits: the replay, the operator actions and the recommendations answer at most
// their limit, from fixtures larger than it.
func TestListLimits(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	// 1,200 actions about Sfax, one a minute up to now.
	start := now.Add(-1200 * time.Minute)
	if _, err := s.pg.Exec(ctx, `INSERT INTO operator_actions (at, actor, action, target, params, result)
		SELECT $1::timestamptz + make_interval(mins => i), 'olfa', 'scenario.start', 'city:15', '{}', 'ok' FROM generate_series(0, 1199) i`,
		start); err != nil {
		t.Fatal(err)
	}
	var rp api.Replay
	decode := func(path string, v any) {
		t.Helper()
		res, err := s.client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	decode("/v1/replay?city=Sfax&window=1d", &rp)
	if len(rp.Actions) != 1000 || !rp.ActionsTruncated || !rp.Actions[0].At.Equal(start) || !rp.Actions[999].At.Equal(start.Add(999*time.Minute)) {
		t.Errorf("replay: %d actions (truncated %v), first %v", len(rp.Actions), rp.ActionsTruncated, rp.Actions[0].At)
	}
	decode("/v1/replay?city=Sfax&window=1d&limit=5", &rp)
	if len(rp.Actions) != 5 || !rp.ActionsTruncated || !rp.Actions[4].At.Equal(start.Add(4*time.Minute)) {
		t.Errorf("replay limit 5: %d actions (truncated %v)", len(rp.Actions), rp.ActionsTruncated)
	}
	decode("/v1/replay?city=Sfax&window=10m", &rp) // 10 actions, all shown
	if len(rp.Actions) != 10 || rp.ActionsTruncated {
		t.Errorf("replay of 10 minutes: %d actions (truncated %v)", len(rp.Actions), rp.ActionsTruncated)
	}
	var acts struct {
		Actions []api.OperatorAction `json:"actions"`
	}
	decode("/v1/actions?window=1d&limit=1000", &acts)
	if len(acts.Actions) != 1000 || !acts.Actions[0].At.Equal(now.Add(-time.Minute)) {
		t.Errorf("actions: %d, newest %v", len(acts.Actions), acts.Actions[0].At)
	}

	// 300 recommendations, one a minute; every third is dismissed.
	var recs [][]any
	id := func(i int) string {
		return "surge-15-" + now.Add(-time.Duration(i+1)*time.Minute).Format("20060102T150405") + ".000000Z"
	}
	for i := range 300 {
		created := now.Add(-time.Duration(i+1) * time.Minute)
		recs = append(recs, []any{id(i), int32(15), "surge", 1.5, int32(15), "high_demand", "x", 80.0, created, created.Add(15 * time.Minute), uint64(i + 1)})
		if i%3 == 2 {
			if _, err := s.pg.Exec(ctx, `INSERT INTO recommendation_decisions (recommendation_id, decision, actor, decided_at) VALUES ($1, 'dismissed', 'olfa', $2)`,
				id(i), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.insert(t, "recommendations", "id, city_id, kind, factor, duration_minutes, rationale, details, pressure, created_at, expires_at, _version", recs...)
	var list []api.Recommendation
	decode("/v1/recommendations?window=1d&limit=100", &list)
	if len(list) != 100 || list[0].ID != id(0) || list[99].ID != id(99) {
		t.Errorf("recommendations: %d, first %s", len(list), list[0].ID)
	}
	// Dismissed ones are every third: 90 of them lie beyond the first pages of 90 rows.
	decode("/v1/recommendations?window=1d&limit=90&status=dismissed", &list)
	if len(list) != 90 || list[0].ID != id(2) || list[89].ID != id(269) || list[89].Status != "dismissed" {
		t.Errorf("dismissed: %d, first %s, last %s", len(list), list[0].ID, list[len(list)-1].ID)
	}
	decode("/v1/recommendations?window=1d&limit=1000&status=dismissed", &list)
	if len(list) != 100 {
		t.Errorf("all dismissed: %d, want 100", len(list))
	}
}

// TestFailedWriteHidesCause: a write that fails in the database records, and shows in
// /v1/actions, a status and a generic message, never the driver's error.
func TestFailedWriteHidesCause(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	if _, err := s.pg.Exec(ctx, `ALTER TABLE simulation_flags ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	code, body := s.do(t, http.MethodPost, "/v1/scenarios", opToken, map[string]any{"kind": "rain", "city": "sfax", "minutes": 30})
	if code != http.StatusInternalServerError || strings.Contains(fmt.Sprint(body), "refuse_all") {
		t.Errorf("start: %d %v", code, body)
	}
	if got, want := s.actions(t), []string{"olfa scenario.start city:15 500 internal error"}; !slices.Equal(got, want) {
		t.Errorf("operator_actions %q, want %q", got, want)
	}
	code, body = s.do(t, http.MethodGet, "/v1/actions?from=2026-11-20T12:00:00Z&to=2026-11-20T13:00:00Z", "", nil)
	list, _ := body["actions"].([]any)
	if code != http.StatusOK || len(list) != 1 || list[0].(map[string]any)["result"] != "500 internal error" {
		t.Errorf("actions: %d %v", code, body)
	}
	// A refusal of ours keeps its message.
	code, _ = s.do(t, http.MethodPost, "/v1/recommendations/surge-15-20261120T122100.000000Z/approve", opToken, nil)
	if got := s.actions(t); code != http.StatusNotFound || len(got) != 2 ||
		got[1] != "olfa recommendation.approve recommendation:surge-15-20261120T122100.000000Z 404 no recommendation surge-15-20261120T122100.000000Z" {
		t.Errorf("404: %d %q", code, got)
	}
}

// TestReadyzHidesCause: with every dependency unreachable, /readyz answers 503 naming them,
// without their addresses or errors.
func TestReadyzHidesCause(t *testing.T) {
	const addr = "127.0.0.1:1"
	pg, err := pgxpool.New(context.Background(), "postgres://flavortrend@"+addr+"/flavortrend?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	ch, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	kc, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	cfg := api.Config{Timeout: 10 * time.Second, MaxBody: 4096}
	h, _ := api.Handler(cfg, &api.Deps{PG: pg, CH: ch, Kafka: kc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body api.Health
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	raw := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || body.Status != "unavailable" || len(body.Checks) != 3 ||
		strings.Contains(raw, "127.0.0.1") || strings.Contains(raw, "SQLSTATE") || strings.Contains(raw, "dial") {
		t.Fatalf("readyz: %d %s", rec.Code, raw)
	}
	for _, c := range body.Checks {
		if c.OK || (c.Error != "unreachable" && c.Error != "timeout") {
			t.Errorf("check %+v", c)
		}
	}
}

// TestServerTimeouts: the server carries the configured timeouts, and a write timeout that
// would cut off the request timeout's 503 is refused.
func TestServerTimeouts(t *testing.T) {
	cfg := api.Config{Timeout: 10 * time.Second, MaxBody: 4096, ReadTimeout: 15 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: time.Minute}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := cfg.Server(http.NotFoundHandler(), nil)
	if srv.ReadTimeout != 15*time.Second || srv.ReadHeaderTimeout != 5*time.Second || srv.WriteTimeout != 20*time.Second || srv.IdleTimeout != time.Minute {
		t.Errorf("server: read %s (headers %s), write %s, idle %s", srv.ReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	cfg.WriteTimeout = 10 * time.Second
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "-write-timeout") {
		t.Errorf("write timeout = request timeout: %v", err)
	}
}
