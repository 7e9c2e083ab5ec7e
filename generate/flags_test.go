package generate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// flagContract is how soon a flag must show in the data (SPEC §6: within 10 s).
const flagContract = 10 * time.Second

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within the deadline", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// addFlag inserts an active flag and returns when it ends (database clock).
func addFlag(t *testing.T, pool *pgxpool.Pool, kind string, cityID int, params string, lasts time.Duration) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
		VALUES ($1, $2, $3::jsonb, now() - interval '1 second', now() + $4::interval, 'test')`,
		kind, cityID, params, lasts.String()); err != nil {
		t.Fatal(err)
	}
}

func onShift(t *testing.T, pool *pgxpool.Pool, cityID int) int64 {
	return queryInt(t, pool, `SELECT count(*) FROM couriers WHERE city_id = $1 AND status <> 'offline'`, cityID)
}

// TestFlags runs the simulator in real time (speed 1) and checks that each kind of
// scenario flag, and a restaurant pause, changes the data within 10 s.
func TestFlags(t *testing.T) {
	pool := seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// 1,200 orders/min so that demand changes show within seconds.
		_, err := Run(ctx, pool, Config{Seed: 5, Rate: 1200, Speed: 1}, nil)
		done <- err
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFor(t, time.Now().Add(flagContract), "first weather observations", func() bool {
		return queryInt(t, pool, `SELECT count(DISTINCT city_id) FROM weather_observations`) == 24
	})

	t.Run("rain", func(t *testing.T) {
		var city int
		var lastID int64
		err := pool.QueryRow(ctx, `SELECT city_id, id FROM (SELECT DISTINCT ON (city_id) city_id, id, condition
			FROM weather_observations ORDER BY city_id, observed_at DESC, id DESC) x
			WHERE condition NOT IN ('rainy', 'stormy') ORDER BY city_id LIMIT 1`).Scan(&city, &lastID)
		if err != nil {
			t.Fatal(err)
		}
		addFlag(t, pool, "rain", city, `{}`, time.Hour)
		waitFor(t, time.Now().Add(flagContract), "rainy observation", func() bool {
			var cond string
			var id int64
			if err := pool.QueryRow(ctx, `SELECT condition, id FROM weather_observations WHERE city_id = $1
				ORDER BY observed_at DESC, id DESC LIMIT 1`, city).Scan(&cond, &id); err != nil {
				t.Fatal(err)
			}
			return id > lastID && cond == "rainy"
		})
	})

	t.Run("courier outage and its expiry", func(t *testing.T) {
		const tunis = 1
		before := onShift(t, pool, tunis)
		want := before - (before+1)/2 // half of them, rounded, go offline
		addFlag(t, pool, "courier_outage", tunis, `{"share": 0.5}`, 6*time.Second)
		expires := time.Now().Add(6 * time.Second)
		waitFor(t, time.Now().Add(flagContract), "couriers offline", func() bool { return onShift(t, pool, tunis) == want })
		waitFor(t, expires.Add(flagContract), "couriers back after expiry", func() bool { return onShift(t, pool, tunis) == before })
	})

	t.Run("surge", func(t *testing.T) {
		const sfax = 15
		before := onShift(t, pool, sfax)
		total := queryInt(t, pool, `SELECT count(*) FROM couriers WHERE city_id = $1`, sfax)
		if before >= total {
			t.Fatalf("Sfax has no reserve: %d of %d working", before, total)
		}
		addFlag(t, pool, "surge", sfax, `{"factor": 2}`, time.Hour)
		waitFor(t, time.Now().Add(flagContract), "reserve couriers online", func() bool { return onShift(t, pool, sfax) == total })
	})

	t.Run("promo", func(t *testing.T) {
		const ariana = 2
		var runStart time.Time
		if err := pool.QueryRow(ctx, `SELECT min(placed_at) FROM orders`).Scan(&runStart); err != nil {
			t.Fatal(err)
		}
		flagAt := time.Now()
		addFlag(t, pool, "promo", ariana, `{"factor": 10}`, time.Hour)
		var first time.Time
		waitFor(t, time.Now().Add(flagContract), "a promo order", func() bool {
			return pool.QueryRow(ctx, `SELECT min(placed_at) FROM orders WHERE is_promo`).Scan(&first) == nil && !first.IsZero()
		})
		time.Sleep(5 * time.Second)
		countIn := func(from, to time.Time) float64 {
			return float64(queryInt(t, pool, `SELECT count(*) FROM orders WHERE city_id = $1 AND placed_at >= $2 AND placed_at < $3`, ariana, from, to))
		}
		rateBefore := countIn(runStart, flagAt) / flagAt.Sub(runStart).Seconds()
		rateDuring := countIn(first, first.Add(5*time.Second)) / 5
		if rateDuring < 3*rateBefore || rateDuring == 0 {
			t.Errorf("Ariana orders/s before the promo %.2f, during %.2f: want ×10", rateBefore, rateDuring)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM orders WHERE is_promo AND (city_id <> $1 OR placed_at < $2 OR delivery_fee <> 0)`, ariana, flagAt); n != 0 {
			t.Errorf("%d promo orders outside Ariana, before the flag or with a fee", n)
		}
	})

	t.Run("restaurant pause", func(t *testing.T) {
		const benArous = 3
		if _, err := pool.Exec(ctx, `UPDATE restaurants SET paused_until = now() + interval '1 hour' WHERE city_id = $1`, benArous); err != nil {
			t.Fatal(err)
		}
		pausedAt := time.Now()
		time.Sleep(flagContract)
		if n := queryInt(t, pool, `SELECT count(*) FROM orders WHERE city_id = $1 AND placed_at > $2`, benArous, pausedAt.Add(flagContract/2)); n != 0 {
			t.Errorf("%d orders placed at paused restaurants", n)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM orders WHERE city_id <> $1 AND placed_at > $2`, benArous, pausedAt.Add(flagContract/2)); n == 0 {
			t.Error("no orders elsewhere either: the simulator stopped")
		}
	})
}
