package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
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

	t.Run("nudge and its expiry", func(t *testing.T) {
		// An off-shift courier of a city no other subtest flags.
		var id, city int
		if err := pool.QueryRow(ctx, `SELECT id, city_id FROM couriers WHERE status = 'offline' AND city_id NOT IN (1, 2, 3, 15)
			ORDER BY id LIMIT 1`).Scan(&id, &city); err != nil {
			t.Fatalf("no off-shift courier: %v", err)
		}
		status := func() string {
			var st string
			if err := pool.QueryRow(ctx, `SELECT status FROM couriers WHERE id = $1`, id).Scan(&st); err != nil {
				t.Fatal(err)
			}
			return st
		}
		addFlag(t, pool, "nudge", city, fmt.Sprintf(`{"courier_id": %d}`, id), 6*time.Second)
		expires := time.Now().Add(6 * time.Second)
		waitFor(t, time.Now().Add(flagContract), "nudged courier online", func() bool { return status() != "offline" })
		waitFor(t, expires.Add(flagContract), "nudged courier offline after expiry", func() bool { return status() == "offline" })
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

// TestNudge drives the flag poll by hand, without demand or a clock: a nudge brings an
// off-shift courier online and its couriers row to idle at the next poll, brings back a
// courier an outage took out, is passed over by an outage that starts during it, and when
// it ends every courier is where the shift and the outage put it.
func TestNudge(t *testing.T) {
	ctx := context.Background()
	pool := seeded(t)
	w, err := loadWorld(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSim(Config{Seed: 5}.withDefaults(time.Now()), pool, w)
	if err != nil {
		t.Fatal(err)
	}
	s.startShifts()
	poll := func() {
		t.Helper()
		if err := s.pollFlags(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.b.flush(ctx, pool); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	row := func(x *courier) string {
		t.Helper()
		var st string
		if err := pool.QueryRow(ctx, `SELECT status FROM couriers WHERE id = $1`, x.id).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	nudge := func(x *courier) {
		t.Helper()
		addFlag(t, pool, "nudge", x.city.id, fmt.Sprintf(`{"courier_id": %d}`, x.id), time.Hour)
	}
	endFlags := func(kind string) {
		t.Helper()
		if _, err := pool.Exec(ctx, `UPDATE simulation_flags SET cancelled_at = now() WHERE kind = $1`, kind); err != nil {
			t.Fatal(err)
		}
	}
	offline := func(c *city) (n int) {
		for _, x := range c.couriers {
			if !x.online() {
				n++
			}
		}
		return n
	}

	const tunis = 1
	c := w.byID[tunis]
	var reserve, base []*courier
	for _, x := range c.couriers {
		if x.reserve {
			reserve = append(reserve, x)
		} else {
			base = append(base, x)
		}
	}
	if len(reserve) == 0 || len(base) < 4 {
		t.Fatalf("Tunis has %d reserve and %d shift couriers", len(reserve), len(base))
	}
	off := reserve[0]
	if off.online() || row(off) != "offline" {
		t.Fatalf("reserve courier %d: online %v, row %s; want offline", off.id, off.online(), row(off))
	}

	// An off-shift courier comes online, idle, at the next poll; nobody else moves.
	nudge(off)
	poll()
	if !off.online() || row(off) != "idle" {
		t.Errorf("nudged courier %d: online %v, row %s; want online and idle", off.id, off.online(), row(off))
	}
	if got, want := offline(c), len(reserve)-1; got != want {
		t.Errorf("%d couriers of Tunis offline, want %d (the reserve but the nudged one)", got, want)
	}

	// An outage starting during a nudge of a working courier takes others: half the shift,
	// rounded, goes offline, and the nudged one stays.
	kept := base[0]
	nudge(kept)
	addFlag(t, pool, "courier_outage", tunis, `{"share": 0.5}`, time.Hour)
	poll()
	target := int(math.Round(0.5 * float64(len(base))))
	if kept.out || !kept.online() || len(c.outOrder) != target {
		t.Errorf("outage with a nudged courier: nudged out %v, online %v; %d taken out, want %d", kept.out, kept.online(), len(c.outOrder), target)
	}

	// A courier the outage took out comes back while nudged; the outage does not take
	// another in its place.
	back := c.outOrder[0]
	nudge(back)
	poll()
	if !back.online() || row(back) != "idle" || len(c.outOrder) != target {
		t.Errorf("nudged courier %d taken out by the outage: online %v, row %s, %d out (want %d)", back.id, back.online(), row(back), len(c.outOrder), target)
	}
	if got, want := offline(c), len(reserve)-1+target-1; got != want {
		t.Errorf("%d couriers of Tunis offline, want %d", got, want)
	}

	// When the nudges end, the reserve courier and the one taken out go back offline; the
	// working one the outage passed over stays.
	endFlags("nudge")
	poll()
	if off.online() || row(off) != "offline" || back.online() || row(back) != "offline" || !kept.online() || row(kept) != "idle" {
		t.Errorf("after the nudges: reserve %s, taken out %s, passed over %s; want offline, offline, idle", row(off), row(back), row(kept))
	}
	if got, want := offline(c), len(reserve)+target; got != want {
		t.Errorf("%d couriers of Tunis offline, want %d", got, want)
	}

	// A nudge naming a courier of another city, or none, does nothing.
	addFlag(t, pool, "nudge", tunis+1, fmt.Sprintf(`{"courier_id": %d}`, off.id), time.Hour)
	addFlag(t, pool, "nudge", tunis, `{"courier_id": 999999}`, time.Hour)
	poll()
	if off.online() {
		t.Errorf("courier %d of Tunis came online for a nudge of another city", off.id)
	}
	endFlags("courier_outage")
	poll()
	if got, want := offline(c), len(reserve); got != want {
		t.Errorf("after the outage: %d couriers of Tunis offline, want the %d of the reserve", got, want)
	}
}

// TestUnreadableFlagParams: a flag whose params do not decode still acts, with the
// defaults (it used to be skipped).
func TestUnreadableFlagParams(t *testing.T) {
	ctx := context.Background()
	pool := seeded(t)
	w, err := loadWorld(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSim(Config{Seed: 5}.withDefaults(time.Now()), pool, w)
	if err != nil {
		t.Fatal(err)
	}
	s.startShifts()
	addFlag(t, pool, "promo", 2, `{"factor": "lots"}`, time.Hour)
	if err := s.pollFlags(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.byID[2].promo; got != defaultPromoFactor {
		t.Errorf("promo with unreadable params: factor %v, want the default %v", got, defaultPromoFactor)
	}
}
