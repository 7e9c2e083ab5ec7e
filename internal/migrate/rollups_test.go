package migrate_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/flavortrend/flavortrend/internal/migrate"
	"github.com/flavortrend/flavortrend/internal/testenv"
	schema "github.com/flavortrend/flavortrend/sql"
)

// TestClickHouseRollups writes facts and order changes with the duplicates an ingester replay
// leaves (the same rows again, in a later insert and within one) and checks the three rollup
// views of 0004_rollups.sql against counts and sums worked out by hand: after the inserts,
// after the state tables are merged, and after they are emptied and rebuilt by the backfill
// statements of the SQL file, run twice.
func TestClickHouseRollups(t *testing.T) {
	ctx := context.Background()
	conn, _ := testenv.ClickHouse(t)
	at := func(s string) time.Time {
		ts, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	delivered := func(s string) *time.Time { ts := at(s); return &ts }
	tnd := decimal.RequireFromString

	facts := [][]any{ // order_id, city_id, placed_at, _version
		{int64(101), int64(1), at("2026-03-02 10:00:05"), uint64(1)},
		{int64(102), int64(1), at("2026-03-02 10:00:59"), uint64(2)},
		{int64(103), int64(1), at("2026-03-02 10:01:00"), uint64(3)},
		{int64(201), int64(2), at("2026-03-02 10:00:30"), uint64(1)},
		{int64(202), int64(2), at("2026-03-02 10:02:10"), uint64(2)},
	}
	const factsInsert = "INSERT INTO orders_enriched (order_id, city_id, placed_at, _version)"
	insertRows(t, conn, factsInsert, facts...)
	insertRows(t, conn, factsInsert, facts[0], facts[1], facts[3], facts[3]) // replays

	violations := [][]any{ // order_id, city_id, kind, observed_at, _version
		{int64(101), int32(1), "at_risk", at("2026-03-02 10:45:05"), uint64(1)},
		{int64(102), int32(1), "breach", at("2026-03-02 10:45:30"), uint64(2)},
		{int64(103), int32(1), "breach", at("2026-03-02 10:46:10"), uint64(3)},
		{int64(201), int32(2), "at_risk", at("2026-03-02 10:45:30"), uint64(1)},
		{int64(202), int32(2), "breach", at("2026-03-02 10:45:50"), uint64(2)},
	}
	const violationsInsert = "INSERT INTO sla_violations (order_id, city_id, kind, observed_at, _version)"
	insertRows(t, conn, violationsInsert, violations...)
	insertRows(t, conn, violationsInsert, violations...) // the whole batch replayed

	// The orders mirror: one row per change. 101 goes through its lifecycle; 102 is delivered
	// and its delivered row comes again with a newer version (a new snapshot); 103's total is
	// corrected after delivery (the newest version counts); 104 is cancelled, 202 still open.
	changes := [][]any{ // id, city_id, status, delivered_at, total, _version
		{int64(101), int32(1), "placed", nil, tnd("25.500"), uint64(10)},
		{int64(101), int32(1), "accepted", nil, tnd("25.500"), uint64(20)},
		{int64(101), int32(1), "picked_up", nil, tnd("25.500"), uint64(30)},
		{int64(101), int32(1), "delivered", delivered("2026-03-02 10:40:00"), tnd("25.500"), uint64(40)},
		{int64(102), int32(1), "delivered", delivered("2026-03-02 10:59:59"), tnd("12.345"), uint64(41)},
		{int64(103), int32(1), "delivered", delivered("2026-03-02 11:00:00"), tnd("30.000"), uint64(50)},
		{int64(104), int32(1), "cancelled", nil, tnd("99.999"), uint64(51)},
		{int64(201), int32(2), "delivered", delivered("2026-03-02 10:20:00"), tnd("40.125"), uint64(42)},
		{int64(202), int32(2), "placed", nil, tnd("15.000"), uint64(43)},
	}
	const changesInsert = "INSERT INTO orders (id, city_id, status, delivered_at, total, _version)"
	insertRows(t, conn, changesInsert, changes...)
	insertRows(t, conn, changesInsert, changes[:5]...) // replays
	insertRows(t, conn, changesInsert,
		[]any{int64(102), int32(1), "delivered", delivered("2026-03-02 10:59:59"), tnd("12.345"), uint64(90)},
		[]any{int64(103), int32(1), "delivered", delivered("2026-03-02 11:00:00"), tnd("28.000"), uint64(91)},
		changes[7], changes[7])

	views := []struct{ query, want string }{
		{"SELECT concat(toString(city_id), ' ', toString(minute), ' ', toString(orders)) AS line FROM orders_per_city_minute",
			"1 2026-03-02 10:00:00 2|1 2026-03-02 10:01:00 1|2 2026-03-02 10:00:00 1|2 2026-03-02 10:02:00 1"},
		{`SELECT concat(toString(city_id), ' ', toString(minute), ' ', toString(violations), ' ', toString(at_risk), ' ', toString(breaches)) AS line
			FROM sla_breaches_per_city_minute`,
			"1 2026-03-02 10:45:00 2 1 1|1 2026-03-02 10:46:00 1 0 1|2 2026-03-02 10:45:00 2 1 1"},
		{"SELECT concat(toString(city_id), ' ', toString(hour), ' ', toString(delivered_orders), ' ', toString(revenue)) AS line FROM revenue_per_city_hour",
			"1 2026-03-02 10:00:00 2 37.845|1 2026-03-02 11:00:00 1 28.000|2 2026-03-02 10:00:00 1 40.125"},
	}
	check := func(stage string) {
		t.Helper()
		for _, v := range views {
			if got := strings.Join(testenv.Strings(t, conn, v.query+" ORDER BY line"), "|"); got != v.want {
				t.Errorf("%s: %s\n got %s\nwant %s", stage, v.query, got, v.want)
			}
			// One city, with the predicate pushed into the view as docs/clickhouse.md advises on 18.16.
			var city1 []string
			for _, l := range strings.Split(v.want, "|") {
				if strings.HasPrefix(l, "1 ") {
					city1 = append(city1, l)
				}
			}
			q := v.query + " WHERE city_id = 1 ORDER BY line SETTINGS enable_optimize_predicate_expression = 1"
			if got := testenv.Strings(t, conn, q); !reflect.DeepEqual(got, city1) {
				t.Errorf("%s: %s\n got %q\nwant %q", stage, q, got, city1)
			}
		}
	}
	check("after the inserts")
	// The rollup agrees with the documented exact read of the mirror.
	final := testenv.Strings(t, conn, `SELECT concat(toString(city_id), ' ', toString(hour), ' ', toString(count()), ' ', toString(sum(total))) AS line
		FROM (SELECT city_id, toStartOfHour(assumeNotNull(delivered_at)) AS hour, total
		      FROM orders FINAL WHERE _is_deleted = 0 AND status = 'delivered')
		GROUP BY city_id, hour ORDER BY line`)
	if got := strings.Join(final, "|"); got != views[2].want {
		t.Errorf("orders FINAL gives %s, the rollup %s", got, views[2].want)
	}

	states := []string{"orders_per_city_minute_state", "sla_breaches_per_city_minute_state", "revenue_per_city_hour_state"}
	for _, s := range states {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+s+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	check("after OPTIMIZE FINAL")

	// The rows already in the sources are what a view created after them would miss.
	all, err := migrate.Load(schema.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	var backfills []string
	for _, m := range all {
		if m.Name == "rollups" {
			backfills = commentedStatements(m.SQL, "-- Backfill")
		}
	}
	if len(backfills) != len(states) {
		t.Fatalf("found %d backfill statements in 0004_rollups.sql, want %d", len(backfills), len(states))
	}
	for _, s := range states {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+s); err != nil {
			t.Fatal(err)
		}
	}
	for run := 1; run <= 2; run++ {
		for _, b := range backfills {
			if err := conn.Exec(ctx, b); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
		check(fmt.Sprintf("after backfill run %d", run))
	}
}

// insertRows writes rows in one insert; query is INSERT INTO t (columns).
func insertRows(t *testing.T, conn driver.Conn, query string, rows ...[]any) {
	t.Helper()
	batch, err := conn.PrepareBatch(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := batch.Append(r...); err != nil {
			t.Fatalf("%s %v: %v", query, r, err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// commentedStatements returns the SQL statements written in comments of src, each in the
// indented comment lines ("--   …") that follow a comment line starting with marker.
func commentedStatements(src, marker string) []string {
	var out []string
	var stmt []string
	in := false
	for _, l := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(l, marker):
			in = true
		case in && strings.HasPrefix(l, "--   "):
			stmt = append(stmt, strings.TrimSpace(strings.TrimPrefix(l, "--")))
		case in:
			out = append(out, strings.Join(stmt, " "))
			stmt, in = nil, false
		}
	}
	return out
}
