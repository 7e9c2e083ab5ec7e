package generate

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	pool := testPostgres(t)
	ctx := context.Background()
	if err := Seed(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, pool, 2); err == nil {
		t.Fatal("seed 2 accepted")
	} else {
		t.Log(err)
	}
	start := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	st, err := Run(ctx, pool, Config{Seed: 1, Start: start, Duration: 3 * time.Hour}, os.Stderr)
	t.Logf("%+v err=%v", st, err)
	if err != nil {
		t.Fatal(err)
	}
}

func TestSmokeStats(t *testing.T) {
	pool := testPostgres(t)
	ctx := context.Background()
	if err := Seed(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	if _, err := Run(ctx, pool, Config{Seed: 1, Start: start, Duration: 6 * time.Hour}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT status || ' ' || coalesce(cancel_reason,'') || ' ' || count(*) FROM orders GROUP BY status, cancel_reason`,
		`SELECT 'acc ' || round(avg(extract(epoch from accepted_at-placed_at)/60),1) || ' pick ' || round(avg(extract(epoch from picked_up_at-accepted_at)/60),1) || ' travel ' || round(avg(extract(epoch from delivered_at-picked_up_at)/60),1)|| ' total ' || round(avg(extract(epoch from delivered_at-placed_at)/60),1) || ' dist ' || round(avg(distance_km),2) || ' promised ' || round(avg(promised_minutes),1) FROM orders WHERE status='delivered'`,
		`SELECT c.name || ' ' || count(*) || ' ' || sum((o.status='cancelled')::int) || ' ' || sum((o.status in ('placed','accepted'))::int) FROM orders o JOIN cities c ON c.id=o.city_id GROUP BY c.name, c.population ORDER BY c.population DESC LIMIT 8`,
		`SELECT c.name || ' ' || count(*) FILTER (WHERE k.status<>'offline') || '/' || count(*) FROM couriers k JOIN cities c ON c.id=k.city_id GROUP BY c.name, c.population ORDER BY c.population DESC LIMIT 5`,
		`SELECT c.name || ' open ' || (SELECT count(*) FROM orders o WHERE o.city_id=c.id AND status IN ('placed','accepted','picked_up')) || ' avail ' || (SELECT count(*) FROM couriers k WHERE k.city_id=c.id AND k.status<>'offline' AND (SELECT count(*) FROM orders o WHERE o.courier_id=k.id AND o.status IN ('accepted','picked_up'))<3) || ' oncouriers ' || (SELECT count(*) FROM couriers k WHERE k.city_id=c.id AND k.status<>'offline') FROM cities c ORDER BY population DESC LIMIT 8`,
		`SELECT h || ' n ' || count(*) || ' mins ' || round(avg(extract(epoch from delivered_at-placed_at)/60),1) || ' pick ' || round(avg(extract(epoch from picked_up_at-accepted_at)/60),1) || ' travel ' || round(avg(extract(epoch from delivered_at-picked_up_at)/60),1) FROM (SELECT *, to_char(placed_at at time zone 'Africa/Tunis','HH24') h FROM orders WHERE status='delivered') x GROUP BY h ORDER BY h`,
	} {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			t.Log(s)
		}
	}
}
