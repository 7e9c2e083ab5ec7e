package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the code")

// now is the fixed wall clock of the API under test.
var now = time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC)

// Tokens of the tests: an operator with every scope, and a dispatcher who may only
// handle alerts.
const (
	opToken       = "operator-secret-0123456789"
	dispatchToken = "dispatch-secret-0123456789"
)

// server is the API on fresh databases: PostgreSQL seeded with the reference data (cities,
// restaurants, couriers), ClickHouse migrated and empty.
type server struct {
	*httptest.Server
	pg     *pgxpool.Pool
	ch     driver.Conn
	chDB   string
	huma   huma.API
	client *http.Client
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	pg := testenv.Postgres(t)
	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	ch, chCfg := testenv.ClickHouse(t)
	_, _, kafka, _ := testenv.Settings()
	kc, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	cfg := api.Config{Timeout: 10 * time.Second, MaxBody: 4096, ReadTimeout: 15 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: time.Minute,
		Tokens: []string{"olfa=" + opToken, "sami:" + api.ScopeAlerts + "=" + dispatchToken}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d := &api.Deps{PG: pg, CH: ch, CHDatabase: chCfg.Database, Kafka: kc, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, hapi := api.Handler(cfg, d)
	s := &server{Server: httptest.NewServer(h), pg: pg, ch: ch, chDB: chCfg.Database, huma: hapi}
	s.client = s.Server.Client()
	t.Cleanup(s.Close)
	return s
}

// do sends a request with an optional bearer token and JSON body, and returns the status
// and the decoded JSON answer.
func (s *server) do(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	} else {
		out = map[string]any{"raw": string(raw)}
	}
	return res.StatusCode, out
}

// insert writes rows into a ClickHouse table of the test database (PrepareBatch: 18.16
// never answers INSERT … VALUES over the native protocol). Each row lists values for
// columns, in order; other columns take their defaults (_version 0 unless given).
func (s *server) insert(t *testing.T, table, columns string, rows ...[]any) {
	t.Helper()
	batch, err := s.ch.PrepareBatch(context.Background(), "INSERT INTO "+s.chDB+"."+table+" ("+columns+")")
	if err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
	for _, r := range rows {
		if err := batch.Append(r...); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

// actions are the operator_actions rows as "actor action target result".
func (s *server) actions(t *testing.T) []string {
	t.Helper()
	rows, err := s.pg.Query(context.Background(), `SELECT actor || ' ' || action || ' ' || target || ' ' || result FROM operator_actions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestOpenAPIDocument: the document the code serves is the one checked in (openapi.json);
// `go test ./api -run TestOpenAPIDocument -update` rewrites it after an intended change.
func TestOpenAPIDocument(t *testing.T) {
	_, hapi := api.Handler(api.Config{Timeout: time.Second, MaxBody: 4096}, &api.Deps{Log: slog.Default()})
	got, err := json.MarshalIndent(hapi.OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the OpenAPI document differs from openapi.json: run go test ./api -run TestOpenAPIDocument -update and review the diff")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(got, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
}

// readOnlyPosts are the POST operations that change nothing (a body too rich for a query
// string): they need no token.
var readOnlyPosts = map[string]bool{"estimate-scenario": true}

// TestWritesNeedToken: every operation with a security requirement refuses a request
// without a token and one with an unknown token (401), and one whose token lacks its scope
// (403), before reading its input — and records nothing.
func TestWritesNeedToken(t *testing.T) {
	s := newServer(t)
	writes := 0
	for path, item := range s.huma.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodPost: item.Post, http.MethodDelete: item.Delete, http.MethodPut: item.Put} {
			if op == nil || readOnlyPosts[op.OperationID] {
				continue
			}
			if len(op.Security) == 0 {
				t.Errorf("%s %s writes without a security requirement", method, path)
				continue
			}
			writes++
			url := strings.NewReplacer("{id}", "1", "{version}", "v1", "{city}", "1").Replace(path)
			for _, tc := range []struct {
				token string
				want  int
			}{{"", http.StatusUnauthorized}, {"not-a-token-0123456789", http.StatusUnauthorized}, {opToken + "x", http.StatusUnauthorized}} {
				if code, body := s.do(t, method, url, tc.token, map[string]any{}); code != tc.want {
					t.Errorf("%s %s with token %q: %d %v, want %d", method, path, tc.token, code, body, tc.want)
				}
			}
			if op.Security[0]["bearer"][0] != api.ScopeAlerts {
				if code, body := s.do(t, method, url, dispatchToken, map[string]any{}); code != http.StatusForbidden {
					t.Errorf("%s %s with a token without its scope: %d %v, want 403", method, path, code, body)
				}
			}
		}
	}
	if writes < 4 {
		t.Errorf("%d write operations checked, want every one (at least 4)", writes)
	}
	if a := s.actions(t); len(a) != 0 {
		t.Errorf("refused writes recorded actions: %v", a)
	}
}

// TestReadiness: with every service up, readiness is ok with the three checks.
func TestReadiness(t *testing.T) {
	s := newServer(t)
	code, body := s.do(t, http.MethodGet, "/readyz", "", nil)
	checks, _ := body["checks"].([]any)
	if code != http.StatusOK || body["status"] != "ok" || len(checks) != 3 {
		t.Errorf("readyz: %d %v, want 200 ok with 3 checks", code, body)
	}
	if code, body := s.do(t, http.MethodGet, "/healthz", "", nil); code != http.StatusOK || body["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, body)
	}
}

// TestCORS: a browser on a configured origin may call the API, with the Authorization
// header; another origin is not allowed.
func TestCORS(t *testing.T) {
	cfg := api.Config{Timeout: time.Second, MaxBody: 4096, ReadTimeout: 15 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: time.Minute, CORSOrigins: []string{"http://grafana.local:3000"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h, _ := api.Handler(cfg, &api.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for origin, want := range map[string]string{"http://grafana.local:3000": "http://grafana.local:3000", "http://evil.example": ""} {
		req := httptest.NewRequest(http.MethodOptions, "/v1/scenarios", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
		if want != "" && !strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization") {
			t.Errorf("preflight from %s: allowed headers %q, want Authorization", origin, rec.Header().Get("Access-Control-Allow-Headers"))
		}
	}
}
