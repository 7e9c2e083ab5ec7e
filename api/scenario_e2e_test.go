package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestScenarioEndToEnd: a rain scenario posted to the API reaches the running simulator,
// which writes a rainy observation for the city within 10 s; Debezium and the ingester
// bring it to ClickHouse; the flag is listed active until it expires, then not.
func TestScenarioEndToEnd(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	pg, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	name := testenv.Name("ft_api")
	testenv.Capture(t, dbURL, name)
	ch, chCfg := testenv.ClickHouse(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	icfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: name, DerivedPrefix: name + ".", Group: name + "-ingest",
		BatchRows: 10000, FlushInterval: 200 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second}
	if err := icfg.Validate(); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ctx, icfg, log, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	ingestDone, simDone := make(chan error, 1), make(chan error, 1)
	go func() { ingestDone <- in.Run(rctx) }()
	go func() {
		_, err := generate.Run(rctx, pg, generate.Config{Seed: 5, Speed: 1, Duration: 5 * time.Minute}, nil)
		simDone <- err
	}()
	t.Cleanup(func() {
		stop()
		if err := <-simDone; err != nil && rctx.Err() == nil {
			t.Errorf("simulator: %v", err)
		}
		if err := <-ingestDone; err != nil {
			t.Errorf("ingest: %v", err)
		}
		in.Close()
	})

	kc, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	cfg := api.Config{Timeout: 10 * time.Second, MaxBody: 4096, ReadTimeout: 15 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: time.Minute, Tokens: []string{"olfa=" + opToken}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h, _ := api.Handler(cfg, &api.Deps{PG: pg, CH: ch, CHDatabase: chCfg.Database, Kafka: kc, Log: log})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &server{Server: srv, pg: pg, ch: ch, chDB: chCfg.Database, client: srv.Client()}

	// Let the simulator start, then ask for rain in Sousse for one minute.
	time.Sleep(3 * time.Second)
	posted := time.Now()
	code, f := s.do(t, http.MethodPost, "/v1/scenarios", opToken, map[string]any{"kind": "rain", "city": "Sousse", "minutes": 1})
	if code != http.StatusCreated {
		t.Fatalf("start: %d %v", code, f)
	}
	city := int32(f["city_id"].(float64))

	var pgAt time.Time
	for deadline := posted.Add(10 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		err := pg.QueryRow(ctx, `SELECT min(observed_at) FROM weather_observations WHERE city_id = $1 AND condition = 'rainy'
			AND observed_at >= $2`, city, posted.Add(-time.Second)).Scan(&pgAt)
		if err == nil && !pgAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rainy observation of city %d in PostgreSQL 10 s after the scenario", city)
		}
	}
	t.Logf("rain observed in PostgreSQL %.1f s after the request", time.Since(posted).Seconds())
	for deadline := posted.Add(10 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		var n uint64
		err := ch.QueryRow(ctx, "SELECT count() FROM "+chCfg.Database+".weather_observations FINAL WHERE city_id = ? AND condition = 'rainy' AND observed_at >= ?",
			city, pgAt.Add(-time.Second)).Scan(&n)
		if err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rainy observation of city %d in ClickHouse 10 s after the scenario (%v)", city, err)
		}
	}

	active := func() bool {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/scenarios?active=true", nil)
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		decodeJSON(t, res, &list)
		return len(list) == 1 && list[0]["kind"] == "rain" && list[0]["city_id"] == float64(city)
	}
	if !active() {
		t.Errorf("the rain flag is not listed active while it runs")
	}
	time.Sleep(time.Until(posted.Add(time.Minute + time.Second)))
	if active() {
		t.Errorf("the rain flag is still listed active after it expired")
	}
}
