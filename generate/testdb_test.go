package generate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TEMPORARY until internal/testenv lands.
func testPostgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://flavortrend@127.0.0.1:15432/flavortrend?sslmode=disable")
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	name := fmt.Sprintf("gen_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, "postgres://flavortrend@127.0.0.1:15432/"+name+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../sql/postgres/*.sql")
	sort.Strings(files)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if _, err := pool.Exec(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	t.Cleanup(func() {
		pool.Close()
		admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		admin.Close(ctx)
	})
	return pool
}
