package health_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/internal/health"
)

// fixedReport is a report of every kind of stage: healthy, warning and down.
func fixedReport() (prev, r health.Report) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	secs := func(s float64) *float64 { return &s }
	ago := func(s float64) *time.Time { t := at.Add(-time.Duration(s * float64(time.Second))); return &t }
	r = health.Report{
		At: at,
		Connector: health.ConnectorReport{Name: "flavortrend-postgres", Registered: true, State: "RUNNING",
			Tasks: []health.TaskReport{{State: "RUNNING", Worker: "127.0.0.1:18083"}}},
		Postgres: health.PostgresReport{Slots: []health.Slot{
			{Name: "flavortrend", Found: true, Active: true, LagBytes: 2048, RetainedBytes: 100 << 20},
			{Name: "old", Found: true, LagBytes: 70 << 20, RetainedBytes: 70 << 20},
			{Name: "gone"},
		}},
		Kafka: health.KafkaReport{DeadLetterWindowSeconds: 3600,
			Groups: []health.Group{
				{Name: "flavortrend-ingest", State: "Stable", Members: 2, Lag: 120, Partitions: []health.PartitionLag{
					{Topic: "flavortrend.public.orders", Partition: 0, End: 1000, Committed: 900, Lag: 100},
					{Topic: "flavortrend.public.orders", Partition: 1, End: 500, Committed: 480, Lag: 20}}},
				{Name: "flavortrend-enrich", State: "Empty", Lag: 0},
				{Name: "flavortrend-enrich-city", State: "Dead"},
			},
			Topics: []health.Topic{
				{Name: "flavortrend.public.orders", Kind: health.KindCDC, Records: 1500},
				{Name: "eta.outcomes", Kind: health.KindDerived, Records: 10},
				{Name: "flavortrend.dead-letter", Kind: health.KindDeadLetter, Records: 3, Recent: 1},
				{Name: "enrich.dead-letter", Kind: health.KindDeadLetter, Missing: true},
			}},
		Freshness: health.FreshnessReport{Tables: []health.Freshness{
			{Table: "orders", Newest: ago(0.8), Seconds: secs(0.8)},
			{Table: "courier_positions", Newest: ago(45), Seconds: secs(45)},
			{Table: "order_items", Newest: ago(200), Seconds: secs(200)},
			{Table: "cities", Newest: ago(3 * 86400), Seconds: secs(3 * 86400)},
			{Table: "menu_items"},
		}},
		Models: health.ModelReport{WindowSeconds: 3600, Models: []health.Model{{Version: "v1", Deliveries: 120, MAESeconds: 272.4}}},
	}
	prev = health.Report{At: at.Add(-10 * time.Second), Kafka: health.KafkaReport{Topics: []health.Topic{
		{Name: "flavortrend.public.orders", Kind: health.KindCDC, Records: 1400}}}}
	return prev, r
}

var thresholds = health.Thresholds{
	FreshnessTables: []string{"orders", "order_items", "courier_positions"},
	FreshnessWarn:   30 * time.Second, FreshnessDown: 120 * time.Second,
	LagWarn: 50000, LagDown: 500000,
	SlotLagWarn: 64 << 20, SlotLagDown: 1 << 30,
	RetainedWarn: 1 << 30, RetainedDown: 3 << 30,
	MAEWarn: 10 * time.Minute, MAEDown: 20 * time.Minute,
}

// TestStatusScreen pins the screen of a fixed report: each stage's health word under the
// thresholds, its lag and freshness, and the topics' records per second since the previous
// report.
func TestStatusScreen(t *testing.T) {
	prev, r := fixedReport()
	var b strings.Builder
	if err := health.Render(&b, r, health.Judge(r, thresholds), &prev); err != nil {
		t.Fatal(err)
	}
	want := `flavortrend status at 2026-11-25 12:00:00 UTC: down

STAGE         NAME                     HEALTH  LAG          FRESHNESS  DETAIL
connector     flavortrend-postgres     ok      -            -          RUNNING, 1/1 tasks running
slot          flavortrend              ok      2.0 KiB      -          active, 100.0 MiB of WAL retained
slot          old                      down    70.0 MiB     -          inactive (no consumer), 70.0 MiB of WAL retained
slot          gone                     down    -            -          no such replication slot
group         flavortrend-ingest       ok      120 records  -          Stable, 2 members, 2 partitions
group         flavortrend-enrich       down    0 records    -          no member (Empty): its consumers are stopped
group         flavortrend-enrich-city  down    -            -          unknown group: never joined, nothing committed
mirror        orders                   ok      -            0.8s       newest commit 2026-11-25 11:59:59.200 UTC
mirror        courier_positions        warn    -            45s        newest commit 2026-11-25 11:59:15.000 UTC
mirror        order_items              down    -            3m20s      newest commit 2026-11-25 11:56:40.000 UTC
mirror        cities                   ok      -            3d00h      newest commit 2026-11-22 12:00:00.000 UTC (not judged: changes only now and then)
mirror        menu_items               ok      -            -          no row yet (not judged: changes only now and then)
dead letters  flavortrend.dead-letter  warn    -            -          1 in the last 1h, 3 in all
dead letters  enrich.dead-letter       warn    -            -          no such topic: the stage that writes it has not run yet
model         v1                       ok      -            -          MAE 4m32s over 120 deliveries in the last 1h

TOPIC                      KIND         RECORDS  RATE
flavortrend.public.orders  cdc          1500     10.0/s
eta.outcomes               derived      10       -
flavortrend.dead-letter    dead-letter  3        -
`
	if got := b.String(); got != want {
		t.Errorf("screen:\n%s\nwant:\n%s", got, want)
	}
}

// TestStatusJSON: the JSON of a fixed report carries the measurements under their names, a
// mirror without rows as null, the worst health and every stage; without indent it is one line.
func TestStatusJSON(t *testing.T) {
	_, r := fixedReport()
	stages := health.Judge(r, thresholds)
	var b strings.Builder
	if err := health.WriteJSON(&b, r, stages, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		At        time.Time `json:"at"`
		Health    string    `json:"health"`
		Connector struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"connector"`
		Postgres struct {
			Slots []struct {
				Name          string `json:"name"`
				LagBytes      int64  `json:"lag_bytes"`
				RetainedBytes int64  `json:"retained_bytes"`
			} `json:"slots"`
		} `json:"postgres"`
		Kafka struct {
			Groups []struct {
				Name       string `json:"name"`
				Members    int    `json:"members"`
				Lag        int64  `json:"lag"`
				Partitions []struct {
					Topic     string `json:"topic"`
					Partition int32  `json:"partition"`
					End       int64  `json:"end"`
					Committed int64  `json:"committed"`
					Lag       int64  `json:"lag"`
				} `json:"partitions"`
			} `json:"groups"`
			Topics []struct {
				Name    string `json:"name"`
				Kind    string `json:"kind"`
				Records int64  `json:"records"`
				Recent  int64  `json:"recent"`
				Missing bool   `json:"missing"`
			} `json:"topics"`
		} `json:"kafka"`
		Freshness struct {
			Tables []struct {
				Table   string   `json:"table"`
				Seconds *float64 `json:"seconds"`
			} `json:"tables"`
		} `json:"freshness"`
		Models struct {
			WindowSeconds int64 `json:"window_seconds"`
			Models        []struct {
				Version    string  `json:"version"`
				Deliveries uint64  `json:"deliveries"`
				MAESeconds float64 `json:"mae_seconds"`
			} `json:"models"`
		} `json:"models"`
		Stages []health.Stage `json:"stages"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	slot, group, part := got.Postgres.Slots[0], got.Kafka.Groups[0], got.Kafka.Groups[0].Partitions[1]
	dead, fresh, model := got.Kafka.Topics[2], got.Freshness.Tables, got.Models.Models[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"at", got.At, r.At},
		{"health", got.Health, "down"},
		{"connector", got.Connector.Name + " " + got.Connector.State, "flavortrend-postgres RUNNING"},
		{"slot", []any{slot.Name, slot.LagBytes, slot.RetainedBytes}, []any{"flavortrend", int64(2048), int64(100 << 20)}},
		{"group", []any{group.Name, group.Members, group.Lag}, []any{"flavortrend-ingest", 2, int64(120)}},
		{"partition", []any{part.Topic, part.Partition, part.End, part.Committed, part.Lag},
			[]any{"flavortrend.public.orders", int32(1), int64(500), int64(480), int64(20)}},
		{"dead letters", []any{dead.Name, dead.Kind, dead.Records, dead.Recent}, []any{"flavortrend.dead-letter", "dead-letter", int64(3), int64(1)}},
		{"missing topic", got.Kafka.Topics[3].Missing, true},
		{"freshness", *fresh[1].Seconds, 45.0},
		{"no row", fresh[4].Table + " " + fmt.Sprint(fresh[4].Seconds == nil), "menu_items true"},
		{"model", []any{model.Version, model.Deliveries, model.MAESeconds, got.Models.WindowSeconds}, []any{"v1", uint64(120), 272.4, int64(3600)}},
		{"stages", len(got.Stages), len(stages)},
		{"stage", got.Stages[9], stages[9]},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	b.Reset()
	if err := health.WriteJSON(&b, r, stages, false); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != 1 || !strings.HasSuffix(b.String(), "\n") {
		t.Errorf("one-line JSON has %d newlines", n)
	}
}

// TestStatusWorst: the worst health of the stages decides the exit status of a one-shot run.
func TestStatusWorst(t *testing.T) {
	tests := []struct {
		healths []health.Health
		want    health.Health
	}{
		{nil, health.OK},
		{[]health.Health{health.OK, health.Warn, health.OK}, health.Warn},
		{[]health.Health{health.Down, health.Warn}, health.Down},
		{[]health.Health{health.Warn, health.Down, health.OK}, health.Down},
	}
	for _, tt := range tests {
		var stages []health.Stage
		for _, h := range tt.healths {
			stages = append(stages, health.Stage{Health: h})
		}
		if got := health.Worst(stages); got != tt.want {
			t.Errorf("Worst(%v) = %s, want %s", tt.healths, got, tt.want)
		}
	}
}
