package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var itoa = strconv.Itoa

// decodeJSON reads a response's JSON body into v.
func decodeJSON(t *testing.T, res *http.Response, v any) {
	t.Helper()
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// detail is the first error detail of a problem+json answer: "location: message".
func detail(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	return e["location"].(string) + ": " + e["message"].(string)
}

// TestScenarioLifecycle: a rain scenario started by name becomes a flag the simulator reads
// (kind, city, window from the API's clock), is listed active with its time left, is
// cancelled once (then 409), and each write is recorded with its actor and result.
func TestScenarioLifecycle(t *testing.T) {
	s := newServer(t)
	code, f := s.do(t, http.MethodPost, "/v1/scenarios", opToken, map[string]any{"kind": "rain", "city": "sfax", "minutes": 30})
	if code != http.StatusCreated || f["kind"] != "rain" || f["active"] != true || f["seconds_left"] != 1800.0 ||
		f["starts_at"] != "2026-11-20T12:30:00Z" || f["ends_at"] != "2026-11-20T13:00:00Z" || f["created_by"] != "olfa" {
		t.Fatalf("start: %d %v", code, f)
	}
	var sfax int32
	if err := s.pg.QueryRow(context.Background(), `SELECT id FROM cities WHERE name = 'Sfax'`).Scan(&sfax); err != nil {
		t.Fatal(err)
	}
	if f["city_id"] != float64(sfax) {
		t.Errorf("city_id %v, want Sfax's %d", f["city_id"], sfax)
	}
	// The row the simulator polls: active now by the database's own test (starts_at <= now < ends_at).
	var kind string
	var minutes float64
	if err := s.pg.QueryRow(context.Background(), `SELECT kind, extract(epoch FROM ends_at - starts_at) / 60 FROM simulation_flags
		WHERE city_id = $1 AND cancelled_at IS NULL`, sfax).Scan(&kind, &minutes); err != nil || kind != "rain" || minutes != 30 {
		t.Errorf("flag row: %q %v min, %v", kind, minutes, err)
	}
	promo := map[string]any{"kind": "promo", "city": "1", "minutes": 10, "factor": 2}
	if code, p := s.do(t, http.MethodPost, "/v1/scenarios", opToken, promo); code != http.StatusCreated || p["factor"] != 2.0 {
		t.Errorf("promo: %d %v", code, p)
	}

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/scenarios?active=true", nil)
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	decodeJSON(t, res, &list)
	if len(list) != 2 || list[0]["kind"] != "promo" || list[1]["kind"] != "rain" {
		t.Errorf("active list, newest first: %v", list)
	}

	id := int(f["id"].(float64))
	path := "/v1/scenarios/" + itoa(id)
	if code, c := s.do(t, http.MethodDelete, path, opToken, nil); code != http.StatusOK || c["active"] != false || c["cancelled_at"] != "2026-11-20T12:30:00Z" {
		t.Errorf("cancel: %d %v", code, c)
	}
	// The POST alias (for Grafana panel actions) is the same operation.
	if code, c := s.do(t, http.MethodPost, path+"/cancel", opToken, nil); code != http.StatusConflict {
		t.Errorf("second cancel: %d %v, want 409", code, c)
	}
	if code, _ := s.do(t, http.MethodDelete, "/v1/scenarios/999999", opToken, nil); code != http.StatusNotFound {
		t.Errorf("cancel of an unknown flag: %d, want 404", code)
	}
	want := []string{
		"olfa scenario.start city:" + itoa(int(sfax)) + " ok",
		"olfa scenario.start city:1 ok",
		"olfa scenario.cancel flag:" + itoa(id) + " ok",
		"olfa scenario.cancel flag:" + itoa(id) + " 409 flag " + itoa(id) + " has already ended",
		"olfa scenario.cancel flag:999999 404 no flag 999999",
	}
	if got := s.actions(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("operator actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestScenarioValidation: bad bodies are 422s naming the field, and reach no SQL (nothing
// recorded, no flag).
func TestScenarioValidation(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"kind": "rain", "city": "Sfax", "minutes": 0}, "body.minutes"},
		{map[string]any{"kind": "rain", "city": "Sfax", "minutes": 2000}, "body.minutes"},
		{map[string]any{"kind": "flood", "city": "Sfax", "minutes": 10}, "body.kind"},
		{map[string]any{"kind": "rain", "city": "Atlantis", "minutes": 10}, "body.city: no such city"},
		{map[string]any{"kind": "rain", "city": "Sfax", "minutes": 10, "factor": 2}, "body.factor: only for promo"},
		{map[string]any{"kind": "promo", "city": "Sfax", "minutes": 10, "factor": 9}, "body.factor"},
		{map[string]any{"kind": "courier_outage", "city": "Sfax", "minutes": 10, "share": 0}, "body.share"},
		{map[string]any{"city": "Sfax", "minutes": 10}, "body"},
	} {
		code, body := s.do(t, http.MethodPost, "/v1/scenarios", opToken, tc.body)
		if code != http.StatusUnprocessableEntity || !strings.HasPrefix(detail(body), tc.want) {
			t.Errorf("%v: %d %q, want 422 at %s", tc.body, code, detail(body), tc.want)
		}
	}
	var flags int
	if err := s.pg.QueryRow(context.Background(), `SELECT count(*) FROM simulation_flags`).Scan(&flags); err != nil || flags != 0 {
		t.Errorf("%d flags written by refused requests (%v)", flags, err)
	}
	if a := s.actions(t); len(a) != 0 {
		t.Errorf("refused requests recorded actions: %v", a)
	}
	big := strings.Repeat("x", 5000)
	if code, _ := s.do(t, http.MethodPost, "/v1/scenarios", opToken, map[string]any{"kind": "rain", "city": big, "minutes": 10}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d, want 413", code)
	}
}

// TestRestaurantPause: a pause sets paused_until from the API's clock, a resume clears it,
// an unknown restaurant is a 404, and each is recorded.
func TestRestaurantPause(t *testing.T) {
	s := newServer(t)
	code, p := s.do(t, http.MethodPost, "/v1/restaurants/3/pause", opToken, map[string]any{"minutes": 45})
	if code != http.StatusOK || p["paused_until"] != "2026-11-20T13:15:00Z" {
		t.Errorf("pause: %d %v", code, p)
	}
	var until *time.Time
	if err := s.pg.QueryRow(context.Background(), `SELECT paused_until FROM restaurants WHERE id = 3`).Scan(&until); err != nil ||
		until == nil || !until.Equal(now.Add(45*time.Minute)) {
		t.Errorf("restaurants.paused_until = %v (%v)", until, err)
	}
	if code, p := s.do(t, http.MethodPost, "/v1/restaurants/3/resume", opToken, nil); code != http.StatusOK || p["paused_until"] != nil {
		t.Errorf("resume: %d %v", code, p)
	}
	if code, _ := s.do(t, http.MethodPost, "/v1/restaurants/99999/pause", opToken, map[string]any{"minutes": 5}); code != http.StatusNotFound {
		t.Errorf("pause of an unknown restaurant: %d, want 404", code)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/restaurants/0/pause", opToken, map[string]any{"minutes": 5}); code != http.StatusUnprocessableEntity || detail(body) != "path.id: expected number >= 1" {
		t.Errorf("restaurant 0: %d %q", code, detail(body))
	}
	want := "olfa restaurant.pause restaurant:3 ok\nolfa restaurant.resume restaurant:3 ok\nolfa restaurant.pause restaurant:99999 404 no restaurant 99999"
	if got := strings.Join(s.actions(t), "\n"); got != want {
		t.Errorf("operator actions:\n%s\nwant:\n%s", got, want)
	}
}
