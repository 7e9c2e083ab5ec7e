package migrate_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/flavortrend/flavortrend/internal/migrate"
	"github.com/flavortrend/flavortrend/internal/testenv"
	schema "github.com/flavortrend/flavortrend/sql"
)

func TestStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"two", "CREATE TABLE a (x Int8);\nCREATE TABLE b (y Int8);\n", []string{"CREATE TABLE a (x Int8)", "CREATE TABLE b (y Int8)"}},
		{"semicolon in string", "CREATE TABLE a (x Int8 COMMENT 'a; b');", []string{"CREATE TABLE a (x Int8 COMMENT 'a; b')"}},
		{"escaped quote", `SELECT 'it\'s; fine'; SELECT 2`, []string{`SELECT 'it\'s; fine'`, "SELECT 2"}},
		{"comments dropped", "-- header; with semicolon\nSELECT 1; -- trailing\n-- only a comment\n", []string{"SELECT 1"}},
		{"empty", "\n;\n ; -- nothing\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := migrate.Statements(tt.src)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("Statements() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"unnumbered": {"m/create.sql": {Data: []byte("SELECT 1")}},
		"duplicate":  {"m/0001_a.sql": {Data: []byte("SELECT 1")}, "m/0001_b.sql": {Data: []byte("SELECT 2")}},
	} {
		if _, err := migrate.Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
	ms, err := migrate.Load(fstest.MapFS{"m/0002_b.sql": {Data: []byte("B")}, "m/0001_a.sql": {Data: []byte("A")}}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != "0001" || ms[1].Name != "b" || ms[0].SQL != "A" {
		t.Fatalf("Load order/content wrong: %+v", ms)
	}
}

func TestPostgresMigrations(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t) // applies every migration once
	all, err := migrate.Load(schema.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}

	res, err := migrate.Postgres(ctx, pool, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.Skipped != len(all) {
		t.Fatalf("second run: applied %v, skipped %d; want nothing applied, %d skipped", res.Applied, res.Skipped, len(all))
	}
	var ledger int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&ledger); err != nil {
		t.Fatal(err)
	}
	if ledger != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d", ledger, len(all))
	}

	// Every table of SPEC §2 exists, and every table and column carries a comment.
	want := []string{"cities", "restaurants", "menu_items", "couriers", "customers", "orders", "order_items",
		"order_reviews", "weather_observations", "courier_positions", "simulation_flags", "operator_actions"}
	var tables []string
	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	for _, w := range want {
		if !contains(tables, w) {
			t.Errorf("table %s missing (have %v)", w, tables)
		}
	}
	rows, err = pool.Query(ctx, `
		SELECT c.relname, coalesce(a.attname, ''), coalesce(d.description, '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = coalesce(a.attnum, 0)
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		UNION ALL
		SELECT c.relname, '', coalesce(d.description, '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = 0
		WHERE n.nspname = 'public' AND c.relkind = 'r'`)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for rows.Next() {
		var table, column, comment string
		if err := rows.Scan(&table, &column, &comment); err != nil {
			t.Fatal(err)
		}
		checked++
		if strings.TrimSpace(comment) == "" {
			t.Errorf("no comment on %s %s", table, column)
		}
	}
	if checked < 100 {
		t.Fatalf("checked comments on only %d tables/columns", checked)
	}
}

func TestPostgresRefusesChangedMigration(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	all, err := migrate.Load(schema.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	changed := append([]migrate.Migration(nil), all...)
	changed[0].Checksum = "edited"
	if _, err := migrate.Postgres(ctx, pool, changed); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("edited migration: err = %v, want refusal", err)
	}
}

func TestClickHouseMigrations(t *testing.T) {
	ctx := context.Background()
	conn, ch := testenv.ClickHouse(t)
	all, err := migrate.Load(schema.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	res, err := migrate.ClickHouse(ctx, conn, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.Skipped != len(all) {
		t.Fatalf("second run: applied %v, skipped %d; want nothing applied", res.Applied, res.Skipped)
	}

	// Every CDC table of SPEC §2 but customers has a mirror with the dedup columns.
	mirrors := []string{"cities", "restaurants", "menu_items", "couriers", "orders", "order_items",
		"order_reviews", "weather_observations", "courier_positions", "simulation_flags", "operator_actions"}
	for _, table := range mirrors {
		var engine string
		if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", ch.Database, table).Scan(&engine); err != nil {
			t.Fatalf("mirror %s: %v", table, err)
		}
		if engine != "ReplacingMergeTree" {
			t.Errorf("mirror %s engine = %s, want ReplacingMergeTree", table, engine)
		}
		var n uint64
		if err := conn.QueryRow(ctx, `SELECT count() FROM system.columns WHERE database = ? AND table = ?
			AND name IN ('_version', '_is_deleted', '_source_ts_ms')`, ch.Database, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("mirror %s has %d of the 3 CDC columns", table, n)
		}
	}
	rows, err := conn.Query(ctx, "SELECT table, name, comment FROM system.columns WHERE database = ?", ch.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var table, column, comment string
		if err := rows.Scan(&table, &column, &comment); err != nil {
			t.Fatal(err)
		}
		checked++
		if strings.TrimSpace(comment) == "" {
			t.Errorf("no comment on %s.%s", table, column)
		}
	}
	if checked < 100 {
		t.Fatalf("checked comments on only %d columns", checked)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestClickHouseTablesDescribed: ClickHouse 18.16 has no table comments, so each
// CREATE TABLE (or VIEW, or MATERIALIZED VIEW) in sql/clickhouse is preceded by a comment
// line saying what the table holds.
func TestClickHouseTablesDescribed(t *testing.T) {
	all, err := migrate.Load(schema.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for _, m := range all {
		lines := strings.Split(m.SQL, "\n")
		for i, l := range lines {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "CREATE TABLE") && !strings.HasPrefix(l, "CREATE VIEW") && !strings.HasPrefix(l, "CREATE MATERIALIZED VIEW") {
				continue
			}
			tables++
			if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "-- ") {
				t.Errorf("%s_%s: %q has no description comment above it", m.Version, m.Name, l)
			}
		}
	}
	if tables == 0 {
		t.Fatal("no CREATE TABLE found")
	}
}
