package generate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/generate/refdata"
)

// ErrOtherSeed reports reference data in the database that a different seed generated.
var ErrOtherSeed = errors.New("reference data from a different seed")

// seedLock is the advisory lock key that serialises concurrent seeds.
const seedLock = 0x5eed

// Seed writes the reference data of refdata.Build(seed) in one transaction. It is
// idempotent: when the database already holds the data of this seed it changes nothing.
// When it holds other reference data it fails with ErrOtherSeed and writes nothing.
//
// The check compares the row counts of the five tables and the identity columns (id,
// city, name, kind) of every city, restaurant and courier with what the seed generates;
// mutable columns (restaurants.paused_until, couriers.status) are not compared.
func Seed(ctx context.Context, pool *pgxpool.Pool, seed int64) error {
	d := refdata.Build(seed)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLock); err != nil {
		return fmt.Errorf("seed: lock: %w", err)
	}
	var cities int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cities`).Scan(&cities); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if cities > 0 {
		if err := sameSeed(ctx, tx, d, seed); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		return nil
	}
	if err := writeRefdata(ctx, tx, d); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	return nil
}

func writeRefdata(ctx context.Context, tx pgx.Tx, d refdata.Data) error {
	specs := []copySpec{
		{"cities", []string{"id", "name", "governorate", "lat", "lon", "population"}, nil},
		{"restaurants", []string{"id", "city_id", "name", "cuisine", "lat", "lon", "rating", "avg_prep_minutes"}, nil},
		{"menu_items", []string{"id", "restaurant_id", "name", "category", "price"}, nil},
		{"couriers", []string{"id", "city_id", "name", "vehicle", "vehicle_condition", "speed_factor", "rating", "status"}, nil},
		{"customers", []string{"id", "city_id", "lat", "lon", "created_at"}, nil},
	}
	for _, c := range d.Cities {
		specs[0].rows = append(specs[0].rows, []any{int32(c.ID), c.Name, c.Governorate, c.Lat, c.Lon, int32(c.Population)})
	}
	for _, r := range d.Restaurants {
		specs[1].rows = append(specs[1].rows, []any{int32(r.ID), int32(r.CityID), r.Name, r.Cuisine, r.Lat, r.Lon, r.Rating, r.AvgPrepMinutes})
	}
	for _, m := range d.MenuItems {
		specs[2].rows = append(specs[2].rows, []any{int32(m.ID), int32(m.RestaurantID), m.Name, string(m.Category), Millimes(m.Price)})
	}
	for _, c := range d.Couriers {
		specs[3].rows = append(specs[3].rows, []any{int32(c.ID), int32(c.CityID), c.Name, c.Vehicle,
			int16(c.VehicleCondition), c.SpeedFactor, c.Rating, c.Status})
	}
	for _, c := range d.Customers {
		specs[4].rows = append(specs[4].rows, []any{int32(c.ID), int32(c.CityID), c.Lat, c.Lon, c.CreatedAt})
	}
	return copyAll(ctx, tx, specs)
}

// sameSeed checks that the database holds exactly the reference data d of seed.
func sameSeed(ctx context.Context, tx pgx.Tx, d refdata.Data, seed int64) error {
	counts := []struct {
		table string
		want  int
	}{
		{"cities", len(d.Cities)}, {"restaurants", len(d.Restaurants)}, {"menu_items", len(d.MenuItems)},
		{"couriers", len(d.Couriers)}, {"customers", len(d.Customers)},
	}
	for _, c := range counts {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
			return err
		}
		if n != c.want {
			return fmt.Errorf("%w: %s has %d rows, seed %d generates %d", ErrOtherSeed, c.table, n, seed, c.want)
		}
	}
	var want []string
	for _, c := range d.Cities {
		want = append(want, fmt.Sprintf("city %d %s", c.ID, c.Name))
	}
	for _, r := range d.Restaurants {
		want = append(want, fmt.Sprintf("restaurant %d city %d %s %s", r.ID, r.CityID, r.Name, r.Cuisine))
	}
	for _, c := range d.Couriers {
		want = append(want, fmt.Sprintf("courier %d city %d %s %s", c.ID, c.CityID, c.Name, c.Vehicle))
	}
	rows, err := tx.Query(ctx, `SELECT line FROM (
		SELECT 1 AS k, id, format('city %s %s', id, name) AS line FROM cities
		UNION ALL SELECT 2, id, format('restaurant %s city %s %s %s', id, city_id, name, cuisine) FROM restaurants
		UNION ALL SELECT 3, id, format('courier %s city %s %s %s', id, city_id, name, vehicle) FROM couriers
	) x ORDER BY k, id`)
	if err != nil {
		return err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			g := "nothing"
			if i < len(got) {
				g = fmt.Sprintf("%q", got[i])
			}
			return fmt.Errorf("%w: the database has %s where seed %d generates %q", ErrOtherSeed, g, seed, want[i])
		}
	}
	return nil
}
