package generate

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/generate/refdata"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// seeded returns a fresh migrated database holding the reference data of seed 1.
func seeded(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testenv.Postgres(t)
	if err := Seed(context.Background(), pool, 1); err != nil {
		t.Fatal(err)
	}
	return pool
}

// queryInt runs a query returning one integer.
func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// queryFloat runs a query returning one number (NULL reads as 0).
func queryFloat(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) float64 {
	t.Helper()
	var f *float64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&f); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if f == nil {
		return 0
	}
	return *f
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	pool := seeded(t)
	d := refdata.Build(1)

	counts := map[string]int{
		"cities": 24, "restaurants": refdata.RestaurantCount, "menu_items": len(d.MenuItems),
		"couriers": refdata.CourierCount, "customers": refdata.CustomerCount,
	}
	for table, want := range counts {
		if got := queryInt(t, pool, `SELECT count(*) FROM `+table); got != int64(want) {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	checks := []struct {
		name, sql string
	}{
		{"city without restaurant", `SELECT count(*) FROM cities c WHERE NOT EXISTS (SELECT FROM restaurants r WHERE r.city_id = c.id)`},
		{"city with fewer than 2 couriers", `SELECT count(*) FROM cities c WHERE (SELECT count(*) FROM couriers k WHERE k.city_id = c.id) < 2`},
		{"menu item without a price", `SELECT count(*) FROM menu_items WHERE price IS NULL OR price <= 0`},
		{"restaurant without a main", `SELECT count(*) FROM restaurants r WHERE NOT EXISTS (SELECT FROM menu_items m WHERE m.restaurant_id = r.id AND m.category = 'main')`},
		{"customer more than 10 km from the centre", `SELECT count(*) FROM customers u JOIN cities c ON c.id = u.city_id
			WHERE 6371 * 2 * asin(sqrt(sin(radians(u.lat - c.lat) / 2) ^ 2 + cos(radians(c.lat)) * cos(radians(u.lat)) * sin(radians(u.lon - c.lon) / 2) ^ 2)) > 10`},
	}
	for _, c := range checks {
		if n := queryInt(t, pool, c.sql); n != 0 {
			t.Errorf("%s: %d", c.name, n)
		}
	}
	if got := queryFloat(t, pool, `SELECT price::float8 FROM menu_items WHERE id = 1`); got != float64(d.MenuItems[0].Price)/1000 {
		t.Errorf("menu item 1 price %v, want %v", got, float64(d.MenuItems[0].Price)/1000)
	}

	// Idempotent: the same seed again changes nothing.
	before := queryInt(t, pool, `SELECT count(*) FROM menu_items`)
	if err := Seed(ctx, pool, 1); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if after := queryInt(t, pool, `SELECT count(*) FROM menu_items`); after != before {
		t.Fatalf("second seed changed menu_items: %d → %d", before, after)
	}
	// Another seed is refused.
	if err := Seed(ctx, pool, 2); !errors.Is(err, ErrOtherSeed) {
		t.Fatalf("seed 2 over seed 1: err = %v, want ErrOtherSeed", err)
	}
}
