// Package testenv gives integration tests fresh, migrated databases on the real local
// services (scripts/services.sh). A missing service fails the test with the command that
// starts it: integration tests never skip.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/migrate"
	"github.com/flavortrend/flavortrend/internal/store"
	schema "github.com/flavortrend/flavortrend/sql"
)

// Settings are the service addresses tests use: the FT_* variables when set, else the
// defaults of scripts/services.sh.
func Settings() (pg config.Postgres, ch config.ClickHouse, kafka config.Kafka, connectURL string) {
	fs := config.NewFlags("test", os.LookupEnv)
	pg.Bind(fs)
	ch.Bind(fs)
	kafka.Bind(fs)
	fs.String(&connectURL, "connect-url", "FT_CONNECT_URL", config.DefaultConnectURL, "")
	if err := fs.Parse(nil); err != nil {
		panic(err)
	}
	return pg, ch, kafka, connectURL
}

// Name returns a unique lower-case name with the given prefix, for databases, topics, slots.
func Name(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// PostgresURL creates a fresh database with every sql/postgres migration applied, dropped
// when the test ends, and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	pg, _, _, _ := Settings()
	c := ctx(t)
	admin, err := store.Postgres(c, pg.URL)
	if err != nil {
		t.Fatalf("integration test needs PostgreSQL (bash scripts/services.sh start postgres): %v", err)
	}
	defer admin.Close()
	name := Name("ft_test")
	if _, err := admin.Exec(c, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		a, err := store.Postgres(context.Background(), pg.URL)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer a.Close()
		// FORCE cannot end a process of another role — an autovacuum worker on the freshly
		// written database: it finishes within moments, so try again a few times.
		for attempt := 1; ; attempt++ {
			_, err := a.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			if err == nil {
				return
			}
			if attempt == 20 {
				t.Errorf("drop database %s: %v", name, err)
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
	u, err := url.Parse(pg.URL)
	if err != nil {
		t.Fatalf("FT_PG_URL: %v", err)
	}
	u.Path = "/" + name
	dbURL := u.String()
	pool, err := store.Postgres(c, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	migrations, err := migrate.Load(schema.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Postgres(c, pool, migrations); err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// Postgres is PostgresURL with a pool on it, closed when the test ends.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Postgres(ctx(t), PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// ClickHouse creates a fresh database with every sql/clickhouse migration applied, dropped
// when the test ends, and returns a connection to it and its settings.
func ClickHouse(t testing.TB) (driver.Conn, config.ClickHouse) {
	t.Helper()
	conn, ch := EmptyClickHouse(t)
	migrations, err := migrate.Load(schema.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.ClickHouse(ctx(t), conn, migrations); err != nil {
		t.Fatal(err)
	}
	return conn, ch
}

// EmptyClickHouse creates a fresh database without any migration (for a test of the
// migrations themselves), dropped when the test ends.
func EmptyClickHouse(t testing.TB) (driver.Conn, config.ClickHouse) {
	t.Helper()
	_, ch, _, _ := Settings()
	ch.Database = Name("ft_test")
	c := ctx(t)
	if err := store.CreateClickHouseDatabase(c, ch); err != nil {
		if strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("integration test needs ClickHouse (bash scripts/services.sh start clickhouse): %v", err)
		}
		t.Fatal(err)
	}
	conn, err := store.ClickHouse(c, ch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ch.Database); err != nil {
			t.Errorf("drop clickhouse database %s: %v", ch.Database, err)
		}
		conn.Close()
	})
	return conn, ch
}

// Strings runs a ClickHouse query whose rows are one string each and returns them in
// order; any error fails the test.
func Strings(t testing.TB, conn driver.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
