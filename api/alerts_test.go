package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Alert episodes of the tests, as the enricher names them (<kind>-<city_id>-<raised_at>).
const (
	sfaxShortage = "driver_shortage-15-20261120T121000.000000Z" // open
	sfaxSpike    = "sla_spike-15-20261120T115000.000000Z"       // raised and cleared
	tunisPeak    = "peak_start-1-20261120T122000.000000Z"       // open
	tunisOld     = "driver_shortage-1-20261120T100000.000000Z"  // open since 10:00
	noSuchAlert  = "driver_shortage-9-20261120T120000.000000Z"
)

// insertAlerts loads the alerts table: three open episodes (one of them written twice, as
// a replay of the ingester does) and one cleared.
func insertAlerts(t *testing.T, s *server) {
	t.Helper()
	at := func(hm string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", "2026-11-20 "+hm)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cleared := at("12:05")
	var open *time.Time
	s.insert(t, "alerts", "id, city_id, kind, severity, title, details, raised_at, cleared_at, state, _version",
		[]any{sfaxShortage, int32(15), "driver_shortage", "warning", "Driver shortage in Sfax", "pressure 78.2", at("12:10"), open, "raised", uint64(10)},
		[]any{sfaxShortage, int32(15), "driver_shortage", "warning", "Driver shortage in Sfax", "pressure 78.2", at("12:10"), open, "raised", uint64(10)},
		[]any{sfaxSpike, int32(15), "sla_spike", "warning", "SLA spike in Sfax", "3 breaches in 10 min", at("11:50"), open, "raised", uint64(11)},
		[]any{sfaxSpike, int32(15), "sla_spike", "warning", "SLA spike in Sfax", "cleared; peak 4 breaches", at("11:50"), &cleared, "cleared", uint64(13)},
		[]any{tunisPeak, int32(1), "peak_start", "info", "Peak starting in Tunis", "31 orders/min against 19.5", at("12:20"), open, "raised", uint64(14)},
		[]any{tunisOld, int32(1), "driver_shortage", "critical", "Driver shortage in Tunis", "pressure 88.0", at("10:00"), open, "raised", uint64(15)},
	)
}

// activeAlerts gets /v1/alerts/active with a query and returns the list.
func activeAlerts(t *testing.T, s *server, query string) []map[string]any {
	t.Helper()
	res, err := s.client.Get(s.URL + "/v1/alerts/active" + query)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("active alerts%s: %d", query, res.StatusCode)
	}
	var list []map[string]any
	decodeJSON(t, res, &list)
	return list
}

// brief renders an active alert as "id severity raised_at ack:<by>@<at>/<note> muted:<until>".
func brief(a map[string]any) string {
	str := func(k string) string {
		if a[k] == nil {
			return "-"
		}
		return a[k].(string)
	}
	return strings.Join([]string{str("id"), str("severity"), str("raised_at"),
		"ack:" + str("acknowledged_by") + "@" + str("acknowledged_at") + "/" + str("ack_note"), "muted:" + str("muted_until")}, " ")
}

func briefs(list []map[string]any) string {
	var out []string
	for _, a := range list {
		out = append(out, brief(a))
	}
	return strings.Join(out, "\n")
}

// TestAlertsAckAndMute: the active list is the open episodes newest first, deduplicated;
// an acknowledgement (once, then 409; 404 for an id ClickHouse does not know) and the
// city's latest mute show on it; each write is recorded with its actor and result.
func TestAlertsAckAndMute(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	insertAlerts(t, s)
	// An expired mute of Sfax (11:00 to 12:00, before now = 12:30) is not in force.
	if _, err := s.pg.Exec(ctx, `INSERT INTO city_mutes (city_id, until, actor, created_at)
		VALUES (15, '2026-11-20 12:00:00+00', 'olfa', '2026-11-20 11:00:00+00')`); err != nil {
		t.Fatal(err)
	}

	// The cleared sla_spike is not active; the shortage written twice shows once.
	want := strings.Join([]string{
		tunisPeak + " info 2026-11-20T12:20:00Z ack:-@-/- muted:-",
		sfaxShortage + " warning 2026-11-20T12:10:00Z ack:-@-/- muted:-",
		tunisOld + " critical 2026-11-20T10:00:00Z ack:-@-/- muted:-",
	}, "\n")
	list := activeAlerts(t, s, "")
	if got := briefs(list); got != want {
		t.Errorf("active alerts:\n%s\nwant:\n%s", got, want)
	}
	if len(list) == 3 && (list[0]["city_id"] != 1.0 || list[0]["kind"] != "peak_start" || list[0]["title"] != "Peak starting in Tunis" ||
		list[0]["details"] != "31 orders/min against 19.5") {
		t.Errorf("first active alert: %v", list[0])
	}

	// The dispatcher (alerts scope only) acknowledges the old shortage with a note.
	code, ack := s.do(t, http.MethodPost, "/v1/alerts/"+tunisOld+"/ack", dispatchToken, map[string]any{"note": "calling couriers in"})
	if code != http.StatusOK || ack["alert_id"] != tunisOld || ack["acknowledged_by"] != "sami" ||
		ack["acknowledged_at"] != "2026-11-20T12:30:00Z" || ack["note"] != "calling couriers in" {
		t.Errorf("ack: %d %v", code, ack)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/alerts/"+tunisOld+"/ack", opToken, nil); code != http.StatusConflict {
		t.Errorf("second ack: %d %v, want 409", code, body)
	}
	// A cleared episode can still be acknowledged; the body is optional.
	if code, body := s.do(t, http.MethodPost, "/v1/alerts/"+sfaxSpike+"/ack", opToken, nil); code != http.StatusOK ||
		body["acknowledged_by"] != "olfa" || body["note"] != nil {
		t.Errorf("ack of a cleared episode without a body: %d %v", code, body)
	}
	if code, body := s.do(t, http.MethodPost, "/v1/alerts/"+noSuchAlert+"/ack", opToken, map[string]any{}); code != http.StatusNotFound {
		t.Errorf("ack of an unknown alert: %d %v, want 404", code, body)
	}

	// Tunis is muted for 90 minutes by name, then for 15 by id: the latest mute is in force.
	if code, m := s.do(t, http.MethodPost, "/v1/cities/tunis/mute", dispatchToken, map[string]any{"minutes": 90}); code != http.StatusOK ||
		m["city_id"] != 1.0 || m["muted_until"] != "2026-11-20T14:00:00Z" {
		t.Errorf("mute 90 min: %d %v", code, m)
	}
	if code, m := s.do(t, http.MethodPost, "/v1/cities/1/mute", opToken, map[string]any{"minutes": 15}); code != http.StatusOK ||
		m["city_id"] != 1.0 || m["muted_until"] != "2026-11-20T12:45:00Z" {
		t.Errorf("mute 15 min: %d %v", code, m)
	}

	want = strings.Join([]string{
		tunisPeak + " info 2026-11-20T12:20:00Z ack:-@-/- muted:2026-11-20T12:45:00Z",
		sfaxShortage + " warning 2026-11-20T12:10:00Z ack:-@-/- muted:-",
		tunisOld + " critical 2026-11-20T10:00:00Z ack:sami@2026-11-20T12:30:00Z/calling couriers in muted:2026-11-20T12:45:00Z",
	}, "\n")
	if got := briefs(activeAlerts(t, s, "")); got != want {
		t.Errorf("active alerts after the ack and mutes:\n%s\nwant:\n%s", got, want)
	}
	if got, want := briefs(activeAlerts(t, s, "?city=Sfax")), sfaxShortage+" warning 2026-11-20T12:10:00Z ack:-@-/- muted:-"; got != want {
		t.Errorf("active alerts of Sfax:\n%s\nwant:\n%s", got, want)
	}
	if got := activeAlerts(t, s, "?city=24"); len(got) != 0 {
		t.Errorf("active alerts of Kebili: %v, want none", got)
	}

	// The rows written.
	rows, err := s.pg.Query(ctx, `SELECT alert_id || ' ' || actor || ' ' || to_char(acked_at AT TIME ZONE 'UTC', 'HH24:MI') || ' ' ||
		coalesce(note, '-') FROM alert_acks ORDER BY acked_at, alert_id`)
	if err != nil {
		t.Fatal(err)
	}
	var acks []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		acks = append(acks, a)
	}
	// Both at 12:30 (the fixed clock): by alert id.
	if got, want := strings.Join(acks, "\n"), tunisOld+" sami 12:30 calling couriers in\n"+sfaxSpike+" olfa 12:30 -"; got != want {
		t.Errorf("alert_acks:\n%s\nwant:\n%s", got, want)
	}
	rows, err = s.pg.Query(ctx, `SELECT city_id || ' ' || actor || ' ' || to_char(created_at AT TIME ZONE 'UTC', 'HH24:MI') || '-' ||
		to_char(until AT TIME ZONE 'UTC', 'HH24:MI') FROM city_mutes ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var mutes []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		mutes = append(mutes, m)
	}
	if got, want := strings.Join(mutes, "\n"), "15 olfa 11:00-12:00\n1 sami 12:30-14:00\n1 olfa 12:30-12:45"; got != want {
		t.Errorf("city_mutes:\n%s\nwant:\n%s", got, want)
	}
	wantActions := []string{
		"sami alert.ack alert:" + tunisOld + " ok",
		"olfa alert.ack alert:" + tunisOld + " 409 alert " + tunisOld + " was already acknowledged by sami at 2026-11-20T12:30:00Z",
		"olfa alert.ack alert:" + sfaxSpike + " ok",
		"olfa alert.ack alert:" + noSuchAlert + " 404 no alert " + noSuchAlert,
		"sami city.mute city:1 ok",
		"olfa city.mute city:1 ok",
	}
	if got := s.actions(t); strings.Join(got, "\n") != strings.Join(wantActions, "\n") {
		t.Errorf("operator actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantActions, "\n"))
	}
	var params []byte
	if err := s.pg.QueryRow(ctx, `SELECT params FROM operator_actions ORDER BY id LIMIT 1`).Scan(&params); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(params, &p); err != nil || len(p) != 1 || p["note"] != "calling couriers in" {
		t.Errorf("params of the ack: %s (%v)", params, err)
	}
}

// TestAlertValidation: bad ids, notes, minutes and cities are 422s naming the field, and
// write nothing.
func TestAlertValidation(t *testing.T) {
	s := newServer(t)
	insertAlerts(t, s)
	for _, tc := range []struct {
		method, path string
		body         any
		want         string
	}{
		{http.MethodPost, "/v1/alerts/nope/ack", nil, "path.id: expected string to match pattern"},
		{http.MethodPost, "/v1/alerts/" + tunisOld + "/ack", map[string]any{"note": strings.Repeat("n", 501)}, "body.note: expected length <= 500"},
		{http.MethodPost, "/v1/cities/1/mute", map[string]any{"minutes": 0}, "body.minutes: expected number >= 1"},
		{http.MethodPost, "/v1/cities/1/mute", map[string]any{"minutes": 1441}, "body.minutes: expected number <= 1440"},
		{http.MethodPost, "/v1/cities/1/mute", map[string]any{}, "body: expected required property minutes to be present"},
		{http.MethodPost, "/v1/cities/Atlantis/mute", map[string]any{"minutes": 10}, "path.city: no such city"},
		{http.MethodGet, "/v1/alerts/active?city=Atlantis", nil, "query.city: no such city"},
		{http.MethodGet, "/v1/alerts/active?city=" + strings.Repeat("x", 65), nil, "query.city: expected length <= 64"},
	} {
		token := opToken
		if tc.method == http.MethodGet {
			token = ""
		}
		code, body := s.do(t, tc.method, tc.path, token, tc.body)
		if code != http.StatusUnprocessableEntity || !strings.HasPrefix(detail(body), tc.want) {
			t.Errorf("%s %.60s %v: %d %q, want 422 %s", tc.method, tc.path, tc.body, code, detail(body), tc.want)
		}
	}
	var n int
	if err := s.pg.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM alert_acks) + (SELECT count(*) FROM city_mutes)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d acks and mutes written by refused requests (%v)", n, err)
	}
	if a := s.actions(t); len(a) != 0 {
		t.Errorf("refused requests recorded: %v", a)
	}
}

// TestCourierNudge: a nudge writes the nudge flag the simulator obeys (kind, the courier's
// city, params.courier_id, the window from the API's clock; 30 minutes by default), 404 for
// an unknown courier, 422 for bad minutes; each call is recorded.
func TestCourierNudge(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	var courier, city int
	if err := s.pg.QueryRow(ctx, `SELECT id, city_id FROM couriers WHERE city_id = 15 ORDER BY id LIMIT 1`).Scan(&courier, &city); err != nil {
		t.Fatal(err)
	}
	path := "/v1/couriers/" + itoa(courier) + "/nudge"
	code, n := s.do(t, http.MethodPost, path, opToken, map[string]any{"minutes": 45})
	if code != http.StatusCreated || n["courier_id"] != float64(courier) || n["city_id"] != 15.0 || n["starts_at"] != "2026-11-20T12:30:00Z" ||
		n["ends_at"] != "2026-11-20T13:15:00Z" || n["created_by"] != "olfa" {
		t.Fatalf("nudge: %d %v", code, n)
	}
	id, _ := n["flag_id"].(float64)

	// The flag row the simulator polls.
	var kind, params, by string
	var cityID int
	var starts, ends time.Time
	var cancelled *time.Time
	if err := s.pg.QueryRow(ctx, `SELECT kind, city_id, params::text, starts_at, ends_at, created_by, cancelled_at
		FROM simulation_flags WHERE id = $1`, int64(id)).Scan(&kind, &cityID, &params, &starts, &ends, &by, &cancelled); err != nil {
		t.Fatal(err)
	}
	if kind != "nudge" || cityID != 15 || params != `{"courier_id": `+itoa(courier)+`}` || !starts.Equal(now) ||
		!ends.Equal(now.Add(45*time.Minute)) || by != "olfa" || cancelled != nil {
		t.Errorf("flag row: %s city %d %s %v–%v by %s cancelled %v", kind, cityID, params, starts, ends, by, cancelled)
	}

	// Without minutes, or without a body, the nudge lasts 30 minutes.
	for _, body := range []any{map[string]any{}, nil} {
		if code, n := s.do(t, http.MethodPost, path, opToken, body); code != http.StatusCreated || n["ends_at"] != "2026-11-20T13:00:00Z" {
			t.Errorf("nudge with body %v: %d %v, want 30 minutes", body, code, n)
		}
	}
	if code, body := s.do(t, http.MethodPost, "/v1/couriers/99999/nudge", opToken, map[string]any{"minutes": 10}); code != http.StatusNotFound {
		t.Errorf("nudge of an unknown courier: %d %v, want 404", code, body)
	}
	for _, tc := range []struct {
		path string
		body map[string]any
		want string
	}{
		{path, map[string]any{"minutes": 0}, "body.minutes: expected number >= 1"},
		{path, map[string]any{"minutes": 241}, "body.minutes: expected number <= 240"},
		{"/v1/couriers/0/nudge", map[string]any{"minutes": 10}, "path.id: expected number >= 1"},
	} {
		code, body := s.do(t, http.MethodPost, tc.path, opToken, tc.body)
		if code != http.StatusUnprocessableEntity || detail(body) != tc.want {
			t.Errorf("%s %v: %d %q, want 422 %s", tc.path, tc.body, code, detail(body), tc.want)
		}
	}
	var flags int
	if err := s.pg.QueryRow(ctx, `SELECT count(*) FROM simulation_flags WHERE kind = 'nudge' AND city_id = 15`).Scan(&flags); err != nil || flags != 3 {
		t.Errorf("%d nudge flags, want 3 (%v)", flags, err)
	}
	target := "olfa courier.nudge courier:" + itoa(courier) + " ok"
	want := strings.Join([]string{target, target, target, "olfa courier.nudge courier:99999 404 no courier 99999"}, "\n")
	if got := strings.Join(s.actions(t), "\n"); got != want {
		t.Errorf("operator actions:\n%s\nwant:\n%s", got, want)
	}
}
