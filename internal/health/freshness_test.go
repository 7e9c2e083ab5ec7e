package health_test

import (
	"context"
	"strings"
	"testing"

	"github.com/flavortrend/flavortrend/internal/migrate"
	"github.com/flavortrend/flavortrend/internal/testenv"
	schema "github.com/flavortrend/flavortrend/sql"
)

// TestFreshnessMigration: sql/clickhouse/0008 on the real server backfills the newest
// source commit of the rows already in the mirrors, and its views keep it current, on every
// mirror; an older change never lowers it, an empty mirror reads 0.
func TestFreshnessMigration(t *testing.T) {
	ctx := context.Background()
	conn, _ := testenv.EmptyClickHouse(t)
	all, err := migrate.Load(schema.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	var before, through []migrate.Migration // up to 0007, up to 0008
	for _, m := range all {
		if m.Version < "0008" {
			before = append(before, m)
		}
		if m.Version <= "0008" {
			through = append(through, m)
		}
	}
	if _, err := migrate.ClickHouse(ctx, conn, before); err != nil {
		t.Fatal(err)
	}
	e := &env{ch: conn}
	e.insert(t, "couriers", "_version, _source_ts_ms", []any{uint64(1), int64(1000)})
	e.insert(t, "courier_positions", "_version, _source_ts_ms", []any{uint64(1), int64(2000)}, []any{uint64(1), int64(2500)})
	e.insert(t, "orders", "_version, _source_ts_ms", []any{uint64(1), int64(3000)})
	res, err := migrate.ClickHouse(ctx, conn, through)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0] != "0008_table_freshness" {
		t.Fatalf("applied %v, want 0008_table_freshness", res.Applied)
	}
	e.insert(t, "courier_positions", "_version, _source_ts_ms", []any{uint64(2), int64(2200)})
	e.insert(t, "alert_acks", "_version, _source_ts_ms", []any{uint64(1), int64(4000)})
	e.insert(t, "weather_observations", "_version, _source_ts_ms", []any{uint64(1), int64(5000)})

	got := strings.Join(testenv.Strings(t, conn, "SELECT concat(`table`, '=', toString(maxMerge(newest))) "+
		"FROM table_freshness_state GROUP BY `table` ORDER BY `table`"), " ")
	want := "alert_acks=4000 cities=0 city_mutes=0 courier_positions=2500 couriers=1000 menu_items=0 operator_actions=0 " +
		"order_items=0 order_reviews=0 orders=3000 restaurants=0 simulation_flags=0 weather_observations=5000"
	if got != want {
		t.Errorf("table_freshness_state:\n got %s\nwant %s", got, want)
	}
}
